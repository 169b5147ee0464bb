/// Exponential backoff with full jitter: the n-th consecutive failure waits a uniformly random time in
/// `0 ... min(cap, base × 2ⁿ)`. Full jitter spreads a fleet's reconnects after a hub restart instead of
/// synchronizing them. Pure: the random source is passed in.
public struct Backoff: Sendable, Hashable {
    /// The first ceiling. Default 100 ms.
    public var base: Duration
    /// The largest ceiling. Default 30 s.
    public var cap: Duration
    /// Consecutive failures so far.
    public private(set) var failures = 0

    /// Creates a backoff with the given base and cap.
    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(30)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling for the next wait, given the failures so far.
    public var ceiling: Duration {
        // 2^n overflows quickly; past 2^30 × base every sane cap is reached anyway.
        let factor = 1 << min(failures, 30)
        let scaled = base * factor
        return scaled > cap || scaled < .zero ? cap : scaled
    }

    /// Records a failure and returns how long to wait before the next attempt.
    public mutating func nextDelay(using random: inout some RandomNumberGenerator) -> Duration {
        let ceiling = self.ceiling
        failures += 1
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        guard nanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanos, using: &random))
    }

    /// Records a success: the next failure starts again from `base`.
    public mutating func reset() { failures = 0 }
}
