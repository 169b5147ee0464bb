/// Counts per second over a sliding window, for "records/s over the last 10 s". Pure: the caller
/// passes the time.
///
/// Invariant: at most `window` one-second buckets are kept; a bucket older than the window is
/// reused, never summed.
public struct RateMeter: Sendable, Hashable {
    /// Seconds the rate is averaged over.
    public let window: Int
    private var counts: [UInt64]
    private var seconds: [Int64]

    /// A meter averaging over `window` seconds (at least 1).
    public init(window: Int = 10) {
        self.window = max(1, window)
        counts = Array(repeating: 0, count: self.window)
        seconds = Array(repeating: Int64.min, count: self.window)
    }

    /// Adds `count` at Unix time `second`.
    public mutating func add(_ count: UInt64, atSecond second: Int64) {
        let slot = Int(second.magnitude % UInt64(window))
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = 0
        }
        counts[slot] += count
    }

    /// The mean per second over the `window` seconds ending with `second` (inclusive).
    public func perSecond(atSecond second: Int64) -> Double {
        var total: UInt64 = 0
        for slot in 0..<window where seconds[slot] <= second && seconds[slot] > second - Int64(window) {
            total += counts[slot]
        }
        return Double(total) / Double(window)
    }
}
