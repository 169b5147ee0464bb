// CallWindow: the time-based sliding window of a closed circuit breaker, as resilience4j keeps it.
//
// Invariants: one bucket per epoch second, `seconds` buckets in a ring; a call recorded in second s is
// counted while the evaluation second S satisfies S − seconds < s ≤ S, i.e. for the current second and the
// `seconds − 1` before it. Memory is fixed whatever the call rate. A call older than the window when it
// arrives is dropped (and counted in `droppedLate`).

/// Per-second call counts over the last `seconds` seconds.
struct CallWindow: Sendable, Hashable {
    private struct Bucket: Sendable, Hashable {
        var second: Int64 = .min
        var counts = CallCounts()
    }

    let seconds: Int64
    private var buckets: [Bucket]
    /// Calls that arrived after their second had left the window.
    private(set) var droppedLate = 0

    init(seconds: Int64) {
        self.seconds = seconds
        self.buckets = Array(repeating: Bucket(), count: Int(seconds))
    }

    private func index(_ second: Int64) -> Int {
        Int(((second % seconds) + seconds) % seconds)
    }

    /// Counts a call in `second`, given that the latest second seen is `now`.
    mutating func add(second: Int64, now: Int64, failed: Bool, slow: Bool) {
        guard second > now - seconds else {
            droppedLate += 1
            return
        }
        let slot = index(second)
        if buckets[slot].second != second {
            guard buckets[slot].second < second else {
                droppedLate += 1
                return
            }
            buckets[slot] = Bucket(second: second)
        }
        buckets[slot].counts.add(failed: failed, slow: slow)
    }

    /// The counts of the window ending in second `now`.
    func counts(now: Int64) -> CallCounts {
        buckets.reduce(into: CallCounts()) { total, bucket in
            if bucket.second > now - seconds, bucket.second <= now {
                total = total + bucket.counts
            }
        }
    }

    /// Forgets every call.
    mutating func reset() {
        buckets = Array(repeating: Bucket(), count: Int(seconds))
    }
}
