import Foundation
import GRDB

/// The hub's embedded store: one SQLite file in WAL mode (DESIGN §7).
///
/// Invariants:
/// - **Exactly once.** Per `(agent_id, stream_id)` the `streams.hwm` column is read and advanced in
///   the same transaction that inserts the batch's records; events are also unique by
///   `(time_unix_nano, event_id)` and inserted with `INSERT OR IGNORE`, each ignored row counted.
/// - **Committed before acknowledged.** ``commit(_:at:)`` returns after `COMMIT`; a failure rolls the
///   whole transaction back (nothing half-stored) and is returned for every batch in it.
/// - **One writer.** GRDB serialises writes; the receiver funnels batches through ``BatchCommitter``
///   so many connections share one transaction. Reads (status, queries) run beside it on WAL
///   snapshots and never block ingest.
/// - **Durability.** With ``HubConfiguration/Store/Durability/full`` (the default) the WAL is fsynced
///   by every `COMMIT` (`synchronous=FULL`), so what ``commit(_:at:)`` returned — and the receiver then
///   acknowledged — survives a power loss. With `normal` (`synchronous=NORMAL`) a commit survives a crash
///   of the process only: a power loss loses the last acknowledged commits for good, because agents
///   delete what the hub acknowledged. The WAL is checkpointed by ``WALCheckpointer`` beside the writer,
///   not after its commits; SQLite syncs the WAL before each checkpoint and the database file after it.
public final class SQLiteEventStore: EventStore, Sendable {
    /// Always `sqlite`.
    public let kind = "sqlite"
    /// The database file.
    public let location: String
    let pool: DatabasePool
    /// Whether commits fold what they store into the minute rollups (see ``CommitRollup``).
    let rollsUpOnCommit: Bool
    private let checkpointer: WALCheckpointer

    private init(path: String, pool: DatabasePool, rollsUpOnCommit: Bool) {
        self.location = path
        self.pool = pool
        self.rollsUpOnCommit = rollsUpOnCommit
        self.checkpointer = WALCheckpointer(path: path)
    }

    deinit {
        checkpointer.stop()
    }

    /// Opens (creating if needed) the database at `path` and applies pending migrations. `durability` says
    /// what a returned commit promises (see the invariants).
    ///
    /// With `rollsUpOnCommit` (the hub's way), each commit also folds the records it stores into the minute
    /// rollups while the rollup watermarks are caught up; without it only the rollup job (``rollUp(limit:)``)
    /// rolls up, reading the stored records back.
    public static func open(
        path: String, durability: HubConfiguration.Store.Durability = .full, rollsUpOnCommit: Bool = true
    ) throws(StoreError) -> SQLiteEventStore {
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in
                // Checkpoints run on WALCheckpointer's own connection; this is only the backstop.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)")
            }
            let pool = try DatabasePool(path: path, configuration: configuration)
            // Set on the writer once the pool is open: opening a DatabasePool puts its writer in WAL mode with
            // synchronous = NORMAL after `prepareDatabase` ran, so FULL set there would be silently undone
            // (the power-cut scenario found that: the WAL was synced only at checkpoints).
            let synchronous = durability == .full ? "FULL" : "NORMAL"
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
            try HubSchema.migrator().migrate(pool)
            return SQLiteEventStore(path: path, pool: pool, rollsUpOnCommit: rollsUpOnCommit)
        } catch {
            throw classify(error, as: .open, doing: "open \(path)")
        }
    }

    /// Names of the migrations applied to the database, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        do {
            return try pool.read { db in try HubSchema.migrator().appliedMigrations(db) }
        } catch {
            throw Self.classify(error, as: .read, doing: "list migrations")
        }
    }

    public func openStream(_ hello: AgentHello, at now: Int64) async throws(StoreError) -> UInt64 {
        do {
            return try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO agents (agent_id, hostname, agent_version, labels, first_seen, last_seen,
                                            connected, stream_id)
                        VALUES (?, ?, ?, ?, ?, ?, 1, ?)
                        ON CONFLICT (agent_id) DO UPDATE SET
                            hostname = excluded.hostname, agent_version = excluded.agent_version,
                            labels = excluded.labels, last_seen = excluded.last_seen, connected = 1,
                            stream_id = excluded.stream_id
                        """,
                    arguments: [
                        hello.agentID, hello.hostname, hello.agentVersion, JSONText.encode(hello.labels) ?? "{}", now,
                        now, hello.streamID,
                    ]
                )
                try db.execute(
                    sql: """
                        INSERT INTO streams (agent_id, stream_id, first_seen, last_seen) VALUES (?, ?, ?, ?)
                        ON CONFLICT (agent_id, stream_id) DO UPDATE SET last_seen = excluded.last_seen
                        """,
                    arguments: [hello.agentID, hello.streamID, now, now]
                )
                try db.execute(
                    sql: "INSERT INTO stream_numbers (agent_id, stream_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    arguments: [hello.agentID, hello.streamID])
                let hwm =
                    try Int64.fetchOne(
                        db, sql: "SELECT hwm FROM streams WHERE agent_id = ? AND stream_id = ?",
                        arguments: [hello.agentID, hello.streamID]) ?? 0
                return UInt64(max(0, hwm))
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "record the hello of an agent")
        }
    }

    public func markDisconnected(agentID: String, at now: Int64) async throws(StoreError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE agents SET connected = 0, last_seen = max(last_seen, ?) WHERE agent_id = ?",
                    arguments: [now, agentID])
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "mark an agent disconnected")
        }
    }

    public func markAllDisconnected() async throws(StoreError) {
        do {
            try await pool.write { db in try db.execute(sql: "UPDATE agents SET connected = 0 WHERE connected != 0") }
        } catch {
            throw Self.classify(error, as: .write, doing: "reset agent connections")
        }
    }

    /// Maps GRDB and SQLite failures to a ``StoreError`` without SQL arguments in the text.
    static func classify(_ error: any Error, as code: StoreError.Code, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            let primary = error.resultCode.primaryResultCode
            let isFull = primary == .SQLITE_FULL
            return StoreError(
                code: isFull ? .full : code,
                message: "cannot \(what): \(isFull ? "disk full" : "\(error.resultCode)"): \(error.message ?? "")",
                sqliteCode: primary.rawValue)
        }
        return StoreError(code: code, message: "cannot \(what): \(error)")
    }
}
