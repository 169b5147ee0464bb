/// The thresholds of a circuit breaker; every default is the one DESIGN §5 and the hub's `breaker:` key name.
public struct CircuitBreakerConfiguration: Sendable, Hashable, Codable {
    /// The time-based sliding window the rates are computed over, in whole seconds (default 60 s).
    public var window: Duration
    /// The fewest calls in the window before the rates are judged (default 20).
    public var minimumCalls: Int
    /// The failure rate at or above which the breaker opens (default 0.5).
    public var failureRateThreshold: Double
    /// A call that takes longer than this is slow (default 1000 ms; exactly 1000 ms is not slow).
    public var slowCallThreshold: Duration
    /// The slow-call rate at or above which the breaker opens (default 0.5).
    public var slowCallRateThreshold: Double
    /// This many failures in a row open the breaker whatever the window holds (default 10).
    public var consecutiveFailures: Int
    /// How long the breaker stays open before it lets trial calls through (default 60 s).
    public var openWait: Duration
    /// How many trial calls half-open judges (default 10).
    public var halfOpenCalls: Int

    /// Creates a configuration; omitted arguments take the documented defaults.
    public init(
        window: Duration = .seconds(60),
        minimumCalls: Int = 20,
        failureRateThreshold: Double = 0.5,
        slowCallThreshold: Duration = .milliseconds(1000),
        slowCallRateThreshold: Double = 0.5,
        consecutiveFailures: Int = 10,
        openWait: Duration = .seconds(60),
        halfOpenCalls: Int = 10
    ) {
        self.window = window
        self.minimumCalls = minimumCalls
        self.failureRateThreshold = failureRateThreshold
        self.slowCallThreshold = slowCallThreshold
        self.slowCallRateThreshold = slowCallRateThreshold
        self.consecutiveFailures = consecutiveFailures
        self.openWait = openWait
        self.halfOpenCalls = halfOpenCalls
    }

    /// The window length in whole seconds, at least 1: the number of one-second buckets.
    var windowSeconds: Int64 {
        max(1, window.components.seconds)
    }
}
