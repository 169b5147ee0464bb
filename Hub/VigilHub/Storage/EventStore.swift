import Foundation

/// Where the hub keeps what agents send: the capability the receiver, the admin API and retention
/// need, so PostgreSQL can stand beside ``SQLiteEventStore`` later (DESIGN §7).
///
/// Invariants every implementation keeps:
/// - **Exactly once.** A stream's high-water mark changes in the same transaction as the records it
///   covers, so a record is stored once however often it is sent; events are also unique by
///   `(time_unix_nano, event_id)` across the fleet.
/// - **Acknowledged means committed.** ``commit(_:at:)`` returns only after its transaction committed;
///   on failure nothing of it is stored and the error is returned for all batches.
public protocol EventStore: Sendable {
    /// `sqlite` or `postgres`.
    var kind: String { get }
    /// The file path or the connection target (without credentials).
    var location: String { get }

    /// Records an accepted `Hello` (the agent is connected from now) and returns the stream's
    /// high-water mark: the `resume_after_seq` for `Welcome`, 0 for a new stream.
    func openStream(_ hello: AgentHello, at nowUnixNano: Int64) async throws(StoreError) -> UInt64
    /// Records that the agent's last connection closed.
    func markDisconnected(agentID: String, at nowUnixNano: Int64) async throws(StoreError)
    /// Marks every agent disconnected (at start-up: no connection survives a restart).
    func markAllDisconnected() async throws(StoreError)
    /// Stores the batches in one transaction and returns, per batch, what was stored and the seq to ack.
    func commit(_ batches: [IncomingBatch], at nowUnixNano: Int64) async throws(StoreError) -> [BatchOutcome]

    /// The stored high-water mark of one stream; 0 when the stream is unknown.
    func highWaterMark(agentID: String, streamID: Data) async throws(StoreError) -> UInt64
    /// Cumulative counts over all streams.
    func totals() async throws(StoreError) -> StoreTotals
    /// Every agent, by id.
    func agents() async throws(StoreError) -> [AgentRecord]
    /// Events and samples as one time-ordered view.
    func records(matching query: RecordQuery) async throws(StoreError) -> [StoredRecord]
    /// Deletes at most `limit` raw events and then samples older than `cutoffUnixNano`; returns how many.
    func deleteRaw(olderThan cutoffUnixNano: Int64, limit: Int) async throws(StoreError) -> Int
    /// Upkeep ahead of time, run with each retention pass: the PostgreSQL store makes the coming days'
    /// partitions before any record needs them. Nothing to do for SQLite.
    func prepareAhead(at nowUnixNano: Int64) async throws(StoreError)
    /// Whether a commit could start now, without writing anything: SQLite takes and releases the write lock
    /// (another process holding it, or a file that cannot be written, fails here); PostgreSQL asks the server
    /// whether it takes writes (a standby or a read-only session does not). For `/readyz`.
    func probeWritable() async throws(StoreError)
}

extension EventStore {
    public func prepareAhead(at nowUnixNano: Int64) async throws(StoreError) {}
}
