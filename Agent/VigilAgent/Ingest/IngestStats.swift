import Synchronization

/// What the ingest stage received, stored and refused, across all connections (STYLE habit 6).
public final class IngestStats: Sendable {
    /// A snapshot of the counters.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// Records read from clients (valid or not).
        public var received: UInt64 = 0
        /// Records made durable and acknowledged.
        public var durable: UInt64 = 0
        /// Records refused, by reason (`invalid`, `too_large`, `missing`, `frame`, `json`, `buffer_full`,
        /// `write_failed`).
        public var rejected: [String: UInt64] = [:]
        /// Connections open now.
        public var connections: Int = 0
        /// Connections accepted since start.
        public var connectionsTotal: UInt64 = 0

        /// All refusals.
        public var rejectedTotal: UInt64 { rejected.values.reduce(0, +) }
    }

    private let counters = Mutex(Snapshot())

    /// Zero counters.
    public init() {}

    /// The current counters.
    public var snapshot: Snapshot { counters.withLock { $0 } }

    func received(_ n: Int) { counters.withLock { $0.received += UInt64(n) } }
    func durable(_ n: Int) { counters.withLock { $0.durable += UInt64(n) } }
    func rejected(_ reason: String, _ n: Int = 1) { counters.withLock { $0.rejected[reason, default: 0] += UInt64(n) } }

    func connectionOpened() {
        counters.withLock {
            $0.connections += 1
            $0.connectionsTotal += 1
        }
    }

    func connectionClosed() { counters.withLock { $0.connections -= 1 } }
}
