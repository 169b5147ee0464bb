import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization
import VigilProtocol

/// The agent's durable buffer: one SQLite database in WAL mode holding every record that was accepted
/// and not yet acknowledged by the hub.
///
/// Invariants:
/// - **Durable when acknowledged.** ``append(_:)`` returns only after its transaction committed; callers
///   acknowledge to clients only from its result. With ``Durability/normal`` a commit survives a crash
///   of the process; with ``Durability/full`` also a power loss.
/// - **Seqs are never reused.** Each stored record gets the next seq from `meta.next_seq`, saved in
///   the same transaction, so seqs keep increasing across restarts and after every row was deleted.
///   Stored seqs are contiguous except where `drop_oldest` removed the oldest ones.
/// - **Deleted only when acked.** Records leave the table through ``deleteThrough(_:)`` (the hub's
///   `Ack` or `Welcome.resume_after_seq`) or through the `drop_oldest` policy, which counts each one.
/// - **Bounded.** Stored payload plus ``rowOverheadBytes`` per record never exceeds
///   ``BufferOptions/maxBytes``. When full, `drop_oldest` deletes the oldest records and counts them as
///   dropped; `reject_new` refuses the new record and counts it as rejected.
/// - **Failure is a refusal, not a crash.** A full disk (`SQLITE_FULL`) or an I/O error rolls back the
///   transaction and refuses every record in it; nothing half-written is visible, and the next
///   append tries again.
/// - **One writer.** All writes go through GRDB's serial writer, which alone changes the in-memory state
///   and counters: after a commit succeeded, or (``BufferCounters/writeFailures``) when a write failed, never
///   after the writer let go (a writer closure saves the whole state it copied). Reads for shipping run
///   concurrently (WAL snapshots).
public final class RecordBuffer: Sendable {
    /// Bytes charged per record on top of its payload, approximating SQLite's row overhead.
    public static let rowOverheadBytes = 16

    /// The 16 random bytes created with this database; identifies the seq space to the hub.
    public let streamID: Data
    /// The settings the buffer was opened with.
    public let options: BufferOptions
    /// The times given to client event ids without a time, saved by every append and loaded on open.
    public let stampedTimes: StampedTimes
    let pool: DatabasePool
    let state: Mutex<State>

    struct State: Sendable {
        var nextSeq: UInt64
        var storedRecords: Int
        var storedBytes: Int
        var counters: BufferCounters
        /// Rows in `stamped_times`.
        var stampedRows = 0
    }

    init(pool: DatabasePool, options: BufferOptions, streamID: Data, state: State, stampedTimes: StampedTimes) {
        self.pool = pool
        self.options = options
        self.streamID = streamID
        self.state = Mutex(state)
        self.stampedTimes = stampedTimes
    }

    /// Counters and sizes as of the last commit.
    public var stats: BufferStats {
        state.withLock { s in
            BufferStats(
                records: s.storedRecords,
                bytes: s.storedBytes,
                nextSeq: s.nextSeq,
                maxBytes: options.maxBytes,
                counters: s.counters
            )
        }
    }

    // MARK: Append

    /// Stores each submission's records in one transaction (a group commit across clients) and returns,
    /// per submission, which records were stored and which were refused and why.
    ///
    /// On a write failure nothing is stored and the error is returned for all submissions.
    public func append(_ submissions: [[[UInt8]]]) async -> Result<[AppendOutcome], BufferError> {
        do {
            return .success(
                try await pool.writeWithoutTransaction { db in
                    let stamped = self.stampedTimes.takeUnsaved()
                    do {
                        return try self.appendOnWriter(db, submissions, stamped: stamped)
                    } catch {
                        self.stampedTimes.returnUnsaved(stamped)
                        // Counted here, on the writer that owns the counters: counted after the writer let go, the
                        // increment was lost whenever the next writer closure saved the state it had copied before.
                        let refused = submissions.reduce(0) { $0 + $1.count }
                        self.state.withLock { $0.counters.writeFailures += UInt64(refused) }
                        throw error
                    }
                })
        } catch {
            return .failure(Self.classify(error, during: .write))
        }
    }

    private func appendOnWriter(
        _ db: Database, _ submissions: [[[UInt8]]], stamped: [(id: Data, time: Int64)]
    ) throws -> [AppendOutcome] {
        var s = state.withLock { $0 }
        var outcomes: [AppendOutcome] = []
        outcomes.reserveCapacity(submissions.count)
        try db.inTransaction {
            var run = InsertRun(db)
            for records in submissions {
                var outcome = AppendOutcome()
                for (index, bytes) in records.enumerated() {
                    let size = bytes.count + Self.rowOverheadBytes
                    if size > options.maxBytes {
                        outcome.rejections.append(
                            .init(
                                index: index,
                                reason:
                                    "record of \(bytes.count) bytes exceeds the buffer cap of \(options.maxBytes) bytes"
                            )
                        )
                        s.counters.rejectedFull += 1
                        continue
                    }
                    if s.storedBytes + size > options.maxBytes {
                        switch options.whenFull {
                        case .rejectNew:
                            outcome.rejections.append(
                                .init(
                                    index: index,
                                    reason:
                                        "buffer full (\(s.storedBytes) of \(options.maxBytes) bytes); when_full is reject_new"
                                )
                            )
                            s.counters.rejectedFull += 1
                            continue
                        case .dropOldest:
                            try run.flush()  // the rows to drop from must all be in the table
                            try dropOldest(db, toFree: s.storedBytes + size - options.maxBytes, state: &s)
                        }
                    }
                    try run.append(seq: s.nextSeq, bytes: bytes)
                    if outcome.stored == 0 { outcome.firstSeq = s.nextSeq }
                    outcome.stored += 1
                    s.nextSeq += 1
                    s.storedRecords += 1
                    s.storedBytes += size
                    s.counters.accepted += 1
                }
                outcomes.append(outcome)
            }
            try run.flush()
            try saveProgress(db, s)
            try saveStampedTimes(db, stamped, state: &s)
            return .commit
        }
        state.withLock { $0 = s }
        return outcomes
    }

    private func dropOldest(_ db: Database, toFree needed: Int, state s: inout State) throws {
        // Free a little more than needed so a full buffer does not delete on every insert.
        let target = max(needed, options.maxBytes / 64)
        var freed = 0
        var count = 0
        var lastSeq: Int64 = -1
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, length(bytes) FROM records ORDER BY seq")
        while freed < target, let row = try rows.next() {
            lastSeq = row[0]
            freed += (row[1] as Int) + Self.rowOverheadBytes
            count += 1
        }
        guard count > 0 else { return }
        try db.execute(sql: "DELETE FROM records WHERE seq <= ?", arguments: [lastSeq])
        s.storedBytes -= freed
        s.storedRecords -= count
        s.counters.dropped += UInt64(count)
    }

    private func saveProgress(_ db: Database, _ s: State) throws {
        try db.execute(
            sql:
                "INSERT INTO meta (key, value) VALUES ('next_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [Int64(bitPattern: s.nextSeq)]
        )
        try s.counters.save(db)
    }

    /// Writes the times given out since the last append, before the records they were given for are
    /// acknowledged, and forgets the oldest rows once there are a quarter more than are remembered.
    private func saveStampedTimes(_ db: Database, _ stamped: [(id: Data, time: Int64)], state s: inout State) throws {
        if stamped.isEmpty { return }
        let insert = try db.cachedStatement(
            // REPLACE: an id the memory forgot and stamped anew must not come back with its old time after a restart.
            sql: "INSERT OR REPLACE INTO stamped_times (event_id, time_unix_nano) VALUES (?, ?)")
        for (id, time) in stamped {
            try insert.execute(arguments: [id, time])
            s.stampedRows += db.changesCount
        }
        let keep = options.rememberedTimes
        if s.stampedRows > keep + keep / 4 {
            try db.execute(
                sql: "DELETE FROM stamped_times WHERE id <= (SELECT max(id) FROM stamped_times) - ?", arguments: [keep])
            s.stampedRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM stamped_times") ?? 0
        }
    }

    // MARK: Delete

    /// Deletes every record with seq ≤ `seq` (acknowledged by the hub). Returns how many were deleted.
    @discardableResult
    public func deleteThrough(_ seq: UInt64) async throws(BufferError) -> Int {
        let bound = Int64(bitPattern: min(seq, UInt64(Int64.max)))
        do {
            return try await pool.writeWithoutTransaction { db in
                var s = self.state.withLock { $0 }
                var deleted = 0
                try db.inTransaction {
                    let row = try Row.fetchOne(
                        db,
                        sql: "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM records WHERE seq <= ?",
                        arguments: [bound]
                    )
                    deleted = row?[0] ?? 0
                    let bytes: Int = row?[1] ?? 0
                    if deleted > 0 {
                        try db.execute(sql: "DELETE FROM records WHERE seq <= ?", arguments: [bound])
                    }
                    s.storedRecords -= deleted
                    s.storedBytes -= bytes + deleted * Self.rowOverheadBytes
                    s.counters.shipped += UInt64(deleted)
                    try s.counters.save(db)
                    return .commit
                }
                self.state.withLock { $0 = s }
                return deleted
            }
        } catch {
            throw Self.classify(error, during: .write)
        }
    }

    // MARK: Read

    /// Reads the records after `seq` into a batch frame: at most `maxRecords`, at most `maxBytes` of
    /// frame (a single larger record still goes alone), consecutive seqs only. Nil when none are stored.
    public func readBatch(
        after seq: UInt64, maxRecords: Int, maxBytes: Int
    ) async throws(BufferError) -> ShippableBatch? {
        let after = Int64(bitPattern: min(seq, UInt64(Int64.max)))
        do {
            return try await pool.read { db in
                let statement = try db.cachedStatement(
                    sql: "SELECT seq, bytes FROM records WHERE seq > ? ORDER BY seq LIMIT ?")
                let handle = statement.sqliteStatement
                sqlite3_reset(handle)
                sqlite3_bind_int64(handle, 1, after)
                sqlite3_bind_int64(handle, 2, Int64(maxRecords))
                defer { sqlite3_reset(handle) }
                var builder: BatchFrameBuilder?
                var lastSeq: UInt64 = 0
                while true {
                    let code = sqlite3_step(handle)
                    if code == SQLITE_DONE { break }
                    guard code == SQLITE_ROW else {
                        throw DatabaseError(
                            resultCode: ResultCode(rawValue: code),
                            message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                    }
                    let rowSeq = UInt64(bitPattern: sqlite3_column_int64(handle, 0))
                    let length = Int(sqlite3_column_bytes(handle, 1))
                    let blob = UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 1), count: length)
                    if let current = builder {
                        // Room is kept for the backlog the shipper sets just before sending.
                        let size = current.frameBytes(adding: length) + BatchFrameBuilder.backlogFieldMaxBytes
                        if rowSeq != lastSeq + 1 || size > maxBytes { break }
                    } else {
                        builder = BatchFrameBuilder(firstSeq: rowSeq, reservingCapacity: min(maxBytes, 1 << 20))
                    }
                    builder!.append(encodedRecord: blob)
                    lastSeq = rowSeq
                }
                return builder.map { ShippableBatch(frame: $0, lastSeq: lastSeq) }
            }
        } catch {
            throw Self.classify(error, during: .read)
        }
    }

    // MARK: Status

    /// Replaces the single status row that `vigil-agent status` reads.
    public func writeStatus(json: String, at unixNano: Int64) async throws(BufferError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO status (id, json, updated_unix_nano) VALUES (1, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_unix_nano = excluded.updated_unix_nano
                        """,
                    arguments: [json, unixNano]
                )
            }
        } catch {
            throw Self.classify(error, during: .write)
        }
    }

    static func classify(_ error: any Error, during code: BufferError.Code) -> BufferError {
        if let error = error as? BufferError { return error }
        if let error = error as? DatabaseError {
            let primary = error.resultCode.primaryResultCode
            let isFull = primary == .SQLITE_FULL
            return BufferError(
                code: isFull ? .full : code,
                message: isFull
                    ? "disk full: \(error.message ?? "SQLITE_FULL")" : "\(error.resultCode): \(error.message ?? "")",
                sqliteCode: primary.rawValue
            )
        }
        return BufferError(code: code, message: "\(error)")
    }
}

/// Rows on their way into `records`, inserted `rowsPerStatement` at a time: one multi-row statement
/// pays SQLite's per-statement work once for all of them. Binds through the C API: this is the hot
/// path, and GRDB's argument arrays cost about half the insert rate.
private struct InsertRun {
    static let rowsPerStatement = 32
    /// `INSERT INTO records (seq, bytes) VALUES (?, ?), ...` with 1...`rowsPerStatement` rows, at n − 1.
    private static let sql: [String] = (1...rowsPerStatement).map { rows in
        "INSERT INTO records (seq, bytes) VALUES " + Array(repeating: "(?, ?)", count: rows).joined(separator: ", ")
    }
    /// SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private let db: Database
    private var rows: [(seq: UInt64, bytes: [UInt8])] = []

    init(_ db: Database) {
        self.db = db
        rows.reserveCapacity(Self.rowsPerStatement)
    }

    mutating func append(seq: UInt64, bytes: [UInt8]) throws {
        rows.append((seq, bytes))
        if rows.count == Self.rowsPerStatement { try flush() }
    }

    mutating func flush() throws {
        if rows.isEmpty { return }
        let handle = try db.cachedStatement(sql: Self.sql[rows.count - 1]).sqliteStatement
        sqlite3_reset(handle)
        for (row, pending) in rows.enumerated() {
            let index = Int32(row * 2)
            sqlite3_bind_int64(handle, index + 1, Int64(bitPattern: pending.seq))
            pending.bytes.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(
                    handle, index + 2, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count),
                    Self.transient)
            }
        }
        let code = sqlite3_step(handle)
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(db.sqliteConnection))
        sqlite3_reset(handle)
        rows.removeAll(keepingCapacity: true)
        if let message { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message) }
    }
}
