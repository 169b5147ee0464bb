/// One observed call: whether it succeeded and how long it took.
public struct CallOutcome: Sendable, Hashable {
    /// Whether the call succeeded (an event with outcome OK).
    public var succeeded: Bool
    /// How long the call took.
    public var duration: Duration

    /// Creates an outcome.
    public init(succeeded: Bool, duration: Duration) {
        self.succeeded = succeeded
        self.duration = duration
    }

    /// A successful call that took `milliseconds`.
    public static func success(milliseconds: Double) -> CallOutcome {
        CallOutcome(succeeded: true, duration: .nanoseconds(Int64((milliseconds * 1e6).rounded())))
    }

    /// A failed call that took `milliseconds`.
    public static func failure(milliseconds: Double) -> CallOutcome {
        CallOutcome(succeeded: false, duration: .nanoseconds(Int64((milliseconds * 1e6).rounded())))
    }
}
