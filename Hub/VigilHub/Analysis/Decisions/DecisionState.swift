import VigilAnalytics

// DecisionState: what the decision engine keeps between evaluations and saves after each one, so a restarted
// hub resumes its circuit breakers (an open breaker stays open), its autoscalers' recommendation history
// (no scale-down before the window has passed) and its position in the stored calls (no call fed twice).

/// The decision engine's state between evaluations.
public struct DecisionState: Sendable, Hashable {
    /// One circuit breaker: a service version's (`host` nil) or a host's (`version` nil).
    public struct Breaker: Sendable, Hashable, Codable {
        /// The service.
        public var service: String
        /// The version, for a version breaker.
        public var version: String?
        /// The host, for a host breaker.
        public var host: String?
        /// Its newest call, used to forget breakers that stay idle.
        public var lastCallAt: Instant?
        /// The breaker.
        public var breaker: CircuitBreaker

        /// Creates an entry.
        public init(service: String, version: String?, host: String?, lastCallAt: Instant?, breaker: CircuitBreaker) {
            self.service = service
            self.version = version
            self.host = host
            self.lastCallAt = lastCallAt
            self.breaker = breaker
        }
    }

    /// One service's autoscaler history.
    public struct Autoscale: Sendable, Hashable, Codable {
        /// The service.
        public var service: String
        /// The recommendations inside the scale-down window, oldest first.
        public var history: [Autoscaler.HistoryEntry]

        /// Creates an entry.
        public init(service: String, history: [Autoscaler.HistoryEntry]) {
            self.service = service
            self.history = history
        }
    }

    /// Every breaker.
    public var breakers: [Breaker]
    /// Every autoscaler.
    public var autoscalers: [Autoscale]
    /// The rowid of the last stored event fed to the breakers (`nil` before the first evaluation).
    public var callWatermark: Int64?

    /// Creates a state.
    public init(breakers: [Breaker] = [], autoscalers: [Autoscale] = [], callWatermark: Int64? = nil) {
        self.breakers = breakers
        self.autoscalers = autoscalers
        self.callWatermark = callWatermark
    }
}

/// Where the decision engine saves its state and finds it again after a restart.
public protocol DecisionStateStore: Sendable {
    /// The saved state (empty before the first save); entries that no longer decode are skipped and counted.
    func loadDecisionState() async throws(StoreError) -> (state: DecisionState, unreadable: Int)
    /// Replaces the saved state with `state`, stamped `now` (Unix ns), in one transaction.
    func saveDecisionState(_ state: DecisionState, at now: Int64) async throws(StoreError)
}
