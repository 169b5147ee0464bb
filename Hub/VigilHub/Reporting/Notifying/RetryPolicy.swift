/// How a failed webhook delivery is retried: exponential backoff with jitter, up to a number of attempts.
/// Pure; the random fraction is passed in.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included. Default 5.
    public var maxAttempts: Int
    /// The delay before the first retry. Default 1 s.
    public var initialDelay: Duration
    /// The longest delay. Default 60 s.
    public var maxDelay: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 5, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
    }

    /// The wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed: initialDelay·2^(attempt−1),
    /// capped at maxDelay, scaled by a jitter factor in [0.5, 1) from `fraction` in [0, 1).
    public func delay(afterAttempt attempt: Int, fraction: Double) -> Duration {
        let exponent = min(max(0, attempt - 1), 30)
        let base = min(initialDelay * (1 << exponent), maxDelay)
        return base * (0.5 + 0.5 * min(max(fraction, 0), 0.999_999))
    }
}
