import Synchronization

/// What the shipper sent, what the hub acknowledged, and the state of the connection (STYLE habit 6).
public final class ShipperStats: Sendable {
    /// A snapshot of the counters.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// The endpoint of the current connection, if streaming.
        public var connectedEndpoint: String?
        /// Unix time (ns) of the last `Ack`.
        public var lastAckUnixNano: Int64?
        /// The seq of the last `Ack`.
        public var lastAckSeq: UInt64 = 0
        /// Batches written.
        public var batchesSent: UInt64 = 0
        /// Records written (resends included).
        public var recordsSent: UInt64 = 0
        /// Records acknowledged and deleted.
        public var recordsAcked: UInt64 = 0
        /// Of those, records the hub acknowledged without storing them: the agent may not speak for their
        /// service under the hub's authorization policy (`Ack.refused`).
        public var recordsRefusedByHub: UInt64 = 0
        /// What the agent's certificate lets it speak for (`*` = every service).
        public var certificateServices: String = "*"
        /// Connection attempts that failed or ended with an error.
        public var connectionFailures: UInt64 = 0
        /// `Reject` frames from the hub, by code.
        public var rejects: [String: UInt64] = [:]
        /// The last connection error, for `vigil-agent status`.
        public var lastError: String?
    }

    private let counters = Mutex(Snapshot())
    private let refusalLogged = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether a warning about hub refusals is due: the first, then at most one a minute.
    func refusalWarningDue() -> Bool {
        refusalLogged.withLock { last in
            let now = ContinuousClock.now
            if let last, now - last < .seconds(60) { return false }
            last = now
            return true
        }
    }

    /// Zero counters.
    public init() {}

    /// The current counters.
    public var snapshot: Snapshot { counters.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { counters.withLock { body(&$0) } }
}
