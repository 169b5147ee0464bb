/// How many replicas one service should run, with the arithmetic that led there.
public struct ScaleRecommendation: Sendable, Hashable, CustomStringConvertible {
    /// One metric's proposal.
    public struct Proposal: Sendable, Hashable {
        /// "cpu" or "queue".
        public var metric: String
        /// The replicas this metric asks for.
        public var replicas: Int
        /// The arithmetic, e.g. "cpu: ceil(4 × 0.90 / 0.70) = ceil(5.14) = 6".
        public var arithmetic: String
    }

    /// When the recommendation was made.
    public var at: Instant
    /// Replicas at the time.
    public var currentReplicas: Int
    /// Replicas recommended.
    public var desiredReplicas: Int
    /// What each available metric proposed.
    public var proposals: [Proposal]
    /// Every step, joined by "; ": the proposals, the rule for missing metrics, stabilization, clamping.
    public var reason: String

    /// desiredReplicas − currentReplicas.
    public var change: Int { desiredReplicas - currentReplicas }

    /// "<current> → <desired>: <reason>".
    public var description: String { "\(currentReplicas) → \(desiredReplicas): \(reason)" }
}
