// CallWindow: the time-based sliding window of a closed circuit breaker, as resilience4j keeps it.
//
// Invariants: one bucket per epoch second, `seconds` buckets in a ring; a call recorded in second s is
// counted while the evaluation second S satisfies S − seconds < s ≤ S, i.e. for the current second and the
// `seconds − 1` before it. Memory is fixed whatever the call rate. A call older than the window when it
// arrives is dropped (and counted in `droppedLate`). It encodes only the buckets that hold calls, so an idle
// window's saved form is small.

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

extension CallWindow: Codable {
    private enum CodingKeys: String, CodingKey {
        case seconds, droppedLate, buckets
    }

    /// One bucket that holds calls: [second, calls, failures, slow calls].
    private typealias Saved = [Int64]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let seconds = try container.decode(Int64.self, forKey: .seconds)
        guard seconds > 0, seconds <= 86_400 else {
            throw DecodingError.dataCorruptedError(
                forKey: .seconds, in: container, debugDescription: "a window of \(seconds) s is not 1 s to 1 day")
        }
        self.init(seconds: seconds)
        droppedLate = try container.decode(Int.self, forKey: .droppedLate)
        for saved in try container.decode([Saved].self, forKey: .buckets) {
            guard saved.count == 4 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .buckets, in: container, debugDescription: "a bucket has \(saved.count) numbers, not 4")
            }
            buckets[index(saved[0])] = Bucket(
                second: saved[0],
                counts: CallCounts(calls: Int(saved[1]), failures: Int(saved[2]), slowCalls: Int(saved[3])))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(droppedLate, forKey: .droppedLate)
        let saved: [Saved] = buckets.filter { $0.second != .min }.sorted { $0.second < $1.second }.map {
            [$0.second, Int64($0.counts.calls), Int64($0.counts.failures), Int64($0.counts.slowCalls)]
        }
        try container.encode(saved, forKey: .buckets)
    }
}
