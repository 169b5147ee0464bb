// RecommendationsReport: the body of `GET /v1/recommendations` (DESIGN §5, issue #5 part 12): the last
// evaluation's canary verdicts, open or half-open circuit breakers, host ejections and replica counts, each
// with the numbers that led to it. Encoded with snake_case keys.

/// What the last evaluation recommends.
public struct RecommendationsReport: Sendable, Codable {
    /// When the evaluation ran (RFC 3339); `nil` before the first one.
    public var evaluatedAt: String?
    /// Evaluations run since the hub started.
    public var evaluations: UInt64
    /// How long the last evaluation took, in seconds.
    public var evaluationSeconds: Double?
    /// The recommendations: canary, breaker, ejection and autoscale, by service.
    public var recommendations: [Recommendation]
    /// Stored calls the breakers skipped since the hub started, about: more arrived between two evaluations
    /// than one evaluation reads (`maxCallsPerEvaluation`), and the breakers judged the newest.
    public var breakerCallsSkipped: Int64 = 0
    /// Saves of the breaker and autoscaler state that failed since the hub started; after one, a restart
    /// resumes from an older state.
    public var stateSaveFailures: Int64 = 0

    /// One recommendation.
    public struct Recommendation: Sendable, Codable, Hashable {
        /// `canary`, `breaker`, `ejection` or `autoscale`.
        public var kind: String
        /// The service.
        public var service: String
        /// The version it concerns (canary, version breakers).
        public var version: String?
        /// The host it concerns (host breakers, ejections).
        public var host: String?
        /// What to do: PROMOTE, HOLD, ROLLBACK, INCONCLUSIVE; OPEN, HALF_OPEN; EJECT; SCALE_UP, SCALE_DOWN, KEEP.
        public var action: String
        /// Why, with the numbers.
        public var reason: String
        /// When the state began (breakers), RFC 3339.
        public var since: String?
        /// The verdict's score (canary).
        public var score: Double?
        /// Replicas now (autoscale).
        public var currentReplicas: Int?
        /// Replicas recommended (autoscale).
        public var desiredReplicas: Int?

        /// Creates a recommendation.
        public init(
            kind: String, service: String, version: String? = nil, host: String? = nil, action: String,
            reason: String, since: String? = nil, score: Double? = nil, currentReplicas: Int? = nil,
            desiredReplicas: Int? = nil
        ) {
            self.kind = kind
            self.service = service
            self.version = version
            self.host = host
            self.action = action
            self.reason = reason
            self.since = since
            self.score = score
            self.currentReplicas = currentReplicas
            self.desiredReplicas = desiredReplicas
        }
    }
}
