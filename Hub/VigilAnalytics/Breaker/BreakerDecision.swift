/// What a circuit breaker recommends at an instant, and why, in numbers.
public struct BreakerDecision: Sendable, Hashable, CustomStringConvertible {
    /// The recommended state.
    public var state: BreakerState
    /// When the breaker entered `state`.
    public var since: Instant
    /// A sentence with the numbers behind the state, e.g.
    /// "failure rate 62.5 % (25 of 40 calls in 60 s) ≥ 50 %".
    public var reason: String
    /// The counts the reason was computed from: the window's when closed, the trial calls' when half-open,
    /// the window at the moment of opening when open.
    public var counts: CallCounts

    /// Creates a decision.
    public init(state: BreakerState, since: Instant, reason: String, counts: CallCounts) {
        self.state = state
        self.since = since
        self.reason = reason
        self.counts = counts
    }

    /// "<state>: <reason>".
    public var description: String { "\(state.rawValue): \(reason)" }
}
