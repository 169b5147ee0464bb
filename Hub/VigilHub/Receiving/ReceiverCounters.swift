import Synchronization
import VigilProtocol

/// What the receiver took in and turned away since the hub started, for `/v1/status` and
/// `/metrics`. Thread-safe; every connection updates it.
public final class ReceiverCounters: Sendable {
    /// A consistent copy of the counters.
    public struct Snapshot: Sendable, Hashable {
        /// TCP connections accepted.
        public var connectionsAccepted: UInt64 = 0
        /// Connections open now.
        public var connectionsOpen: Int = 0
        /// TLS handshakes that failed (no or untrusted client certificate, wrong TLS version, …).
        public var tlsHandshakeFailures: UInt64 = 0
        /// The same, by ``HandshakeFailure`` label.
        public var tlsHandshakeFailuresByReason: [String: UInt64] = [:]
        /// `Reject`s sent, by code label (`protocol`, `unauthorized`, …).
        public var rejects: [String: UInt64] = [:]
        /// Batches received and passed to the store.
        public var batchesReceived: UInt64 = 0
        /// Records in those batches.
        public var recordsReceived: UInt64 = 0
        /// Agents with an open stream now.
        public var agentsConnected: Int = 0

        /// All zero.
        public init() {}

        /// Rejects of all codes.
        public var rejectsTotal: UInt64 { rejects.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())
    private let agents = Mutex<[String: Int]>([:])
    private let backlogs = Mutex<[String: UInt64]>([:])

    /// What each agent connected here said it still holds after its last batch (`Batch.backlog_records`), by
    /// agent id. In memory: an agent's figure is known to the hub (replica) it ships to, until it disconnects.
    public var backlogRecords: [String: UInt64] { backlogs.withLock { $0 } }

    func backlog(_ records: UInt64, of agentID: String) {
        backlogs.withLock { $0[agentID] = records }
    }

    /// Empty counters.
    public init() {}

    /// The counters now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    func connectionOpened() -> Int {
        state.withLock { s in
            s.connectionsAccepted += 1
            s.connectionsOpen += 1
            return s.connectionsOpen
        }
    }

    func connectionClosed() {
        state.withLock { $0.connectionsOpen -= 1 }
    }

    func handshakeFailed(_ reason: HandshakeFailure) {
        state.withLock { s in
            s.tlsHandshakeFailures += 1
            s.tlsHandshakeFailuresByReason[reason.rawValue, default: 0] += 1
        }
    }

    func rejected(_ code: Vigil_V1_Reject.Code) {
        state.withLock { $0.rejects[code.label, default: 0] += 1 }
    }

    func received(records: Int) {
        state.withLock { s in
            s.batchesReceived += 1
            s.recordsReceived += UInt64(records)
        }
    }

    /// An agent's stream opened on one more connection.
    func agentOpened(_ agentID: String) {
        let count = agents.withLock { map -> Int in
            map[agentID, default: 0] += 1
            return map.count
        }
        state.withLock { $0.agentsConnected = count }
    }

    /// A connection of the agent closed; true when it was the agent's last one.
    func agentClosed(_ agentID: String) -> Bool {
        let (last, count) = agents.withLock { map -> (Bool, Int) in
            let remaining = (map[agentID] ?? 1) - 1
            map[agentID] = remaining > 0 ? remaining : nil
            return (remaining <= 0, map.count)
        }
        state.withLock { $0.agentsConnected = count }
        if last { _ = backlogs.withLock { $0.removeValue(forKey: agentID) } }
        return last
    }
}
