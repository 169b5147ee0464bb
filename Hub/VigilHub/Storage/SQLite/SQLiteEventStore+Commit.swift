import Foundation
import GRDB
import GRDBSQLite
import VigilProtocol

extension SQLiteEventStore {
    public func commit(_ batches: [IncomingBatch], at now: Int64) async throws(StoreError) -> [BatchOutcome] {
        if batches.isEmpty { return [] }
        do {
            return try await pool.writeWithoutTransaction { [rollsUpOnCommit] db in
                var outcomes: [BatchOutcome] = []
                outcomes.reserveCapacity(batches.count)
                try db.inTransaction {
                    let statements = try CommitStatements(db)
                    var rollup = rollsUpOnCommit ? try CommitRollup.begin(db) : nil
                    for batch in batches {
                        outcomes.append(
                            try Self.store(batch, db: db, statements: statements, now: now, rollup: &rollup))
                    }
                    try rollup?.finishOrLeaveToJob(db)
                    return .commit
                }
                return outcomes
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "store \(batches.count) batches")
        }
    }

    /// Stores one batch inside the caller's transaction: reads the stream's hwm, inserts what is new,
    /// advances the hwm and the counters, and folds what it inserted into `rollup` (when there is one).
    private static func store(
        _ batch: IncomingBatch, db: Database, statements s: CommitStatements, now: Int64, rollup: inout CommitRollup?
    ) throws -> BatchOutcome {
        let hwm = try highWaterMark(batch, db: db, statement: s.selectHWM)
        if hwm < batch.previousSeq {
            var refused = BatchOutcome(throughSeq: hwm)
            refused.predecessorMissing = true
            return refused
        }
        let decision = SequenceDecision.decide(highWaterMark: hwm, firstSeq: batch.firstSeq, count: batch.records.count)
        let streamNumber = try Self.streamNumber(batch, statements: s, db: db)
        var outcome = BatchOutcome(throughSeq: decision.throughSeq)
        outcome.duplicateSeqs = decision.skip
        outcome.missing = decision.missing
        var newest: Int64 = 0
        var json: [UInt8] = []
        // Events go in as multi-row statements of up to `eventsPerStatement` rows; SQLite counts the
        // rows a statement inserted, and the rest were duplicates it ignored.
        var run: [Int] = []
        run.reserveCapacity(eventsPerStatement)
        var texts = StaticParameters()
        func insertRun() throws {
            if run.isEmpty { return }
            let statement = try db.cachedStatement(sql: insertEventsSQL[run.count - 1])
            let b = SQLiteBinding(handle: statement.sqliteStatement)
            b.reset()
            texts.removeAll()
            for (row, index) in run.enumerated() {
                guard case .event(let event) = batch.records[index].body else { continue }
                let seq = Int64(bitPattern: batch.firstSeq + UInt64(index))
                bind(
                    event, agentID: batch.agentID, stream: streamNumber, seq: seq, to: b, texts: &texts,
                    at: Int32(row * eventColumns), json: &json)
                rollup?.stage(event, agentID: batch.agentID)
                newest = max(newest, event.timeUnixNano)
            }
            let inserted = try texts.run(on: statement.sqliteStatement) {
                try b.run(db)
                return Int(sqlite3_changes(db.sqliteConnection))
            }
            try rollup?.foldStaged(inserted: inserted, db: db) { batch.records[run[$0]].event.eventID }
            outcome.events += inserted
            outcome.duplicateEvents += run.count - inserted
            run.removeAll(keepingCapacity: true)
        }
        for index in decision.skip..<batch.records.count {
            switch batch.records[index].body {
            case .event:
                // Read when bound: binding the event here too copied it (and retained its fields) once more.
                run.append(index)
                if run.count == eventsPerStatement { try insertRun() }
            case .sample(let sample):
                let seq = Int64(bitPattern: batch.firstSeq + UInt64(index))
                try insert(
                    sample, agentID: batch.agentID, stream: streamNumber, seq: seq, db: db, statement: s.insertSample,
                    json: &json)
                try rollup?.add(sample, agentID: batch.agentID, db: db)
                outcome.samples += 1
                newest = max(newest, sample.timeUnixNano)
            case nil:
                break  // The receiver validated every record; an empty one never gets here.
            }
        }
        try insertRun()
        for (reason, count) in batch.refusalCounts(skipping: decision.skip) {
            outcome.refused += count.records
            try db.cachedStatement(sql: upsertRefusalSQL).execute(arguments: [
                batch.agentID, reason.rawValue, count.records, count.lastService, now,
            ])
        }
        let stream = SQLiteBinding(handle: s.upsertStream.sqliteStatement)
        stream.reset()
        stream.bind(1, batch.agentID)
        stream.bind(2, batch.streamID)
        stream.bind(3, Int64(bitPattern: decision.highWaterMark))
        stream.bind(4, Int64(outcome.events))
        stream.bind(5, Int64(outcome.samples))
        stream.bind(6, Int64(outcome.duplicateSeqs))
        stream.bind(7, Int64(outcome.duplicateEvents))
        stream.bind(8, Int64(decision.isGap ? 1 : 0))
        stream.bind(9, Int64(bitPattern: decision.missing))
        stream.bind(10, now)
        try stream.run(db)
        let agent = SQLiteBinding(handle: s.touchAgent.sqliteStatement)
        agent.reset()
        agent.bind(1, now)
        agent.bind(2, newest)
        agent.bind(3, batch.agentID)
        try agent.run(db)
        return outcome
    }

    private static func highWaterMark(_ batch: IncomingBatch, db: Database, statement: Statement) throws -> UInt64 {
        let select = SQLiteBinding(handle: statement.sqliteStatement)
        select.reset()
        select.bind(1, batch.agentID)
        select.bind(2, batch.streamID)
        defer { sqlite3_reset(statement.sqliteStatement) }
        guard try select.step(db) else { return 0 }
        return UInt64(bitPattern: sqlite3_column_int64(statement.sqliteStatement, 0))
    }

    /// The number standing for the batch's `(agent_id, stream_id)` in `events.stream` and `samples.stream`,
    /// made on the stream's first batch (``openStream(_:at:)`` makes it on its Hello already).
    private static func streamNumber(
        _ batch: IncomingBatch, statements s: CommitStatements, db: Database
    ) throws
        -> Int64
    {
        for statement in [s.selectStreamNumber, s.insertStreamNumber] {
            let b = SQLiteBinding(handle: statement.sqliteStatement)
            b.reset()
            b.bind(1, batch.agentID)
            b.bind(2, batch.streamID)
            defer { sqlite3_reset(statement.sqliteStatement) }
            if try b.step(db) { return sqlite3_column_int64(statement.sqliteStatement, 0) }
        }
        throw StoreError(
            code: .write,
            message: "no stream number could be made for agent \(QuotedText.quote(batch.agentID))")
    }

    /// Adds a batch's refused records to the agent's count for one reason.
    static let upsertRefusalSQL = """
        INSERT INTO refusals (agent_id, reason, records, last_service, updated) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (agent_id, reason) DO UPDATE SET records = records + excluded.records,
            last_service = excluded.last_service, updated = excluded.updated
        """

    /// Most events in one INSERT: one statement of many rows spends SQLite's per-statement work (cursors
    /// on the table and its indexes, halt, reset) once for all of them. 32 rows bind 352 parameters.
    static let eventsPerStatement = 32
    private static let eventColumns = 12
    /// `INSERT OR IGNORE INTO events ... VALUES (...)` with 1...`eventsPerStatement` rows, at index n − 1.
    private static let insertEventsSQL: [String] = (1...eventsPerStatement).map { rows in
        let row = "(" + Array(repeating: "?", count: eventColumns).joined(separator: ", ") + ")"
        return """
            INSERT OR IGNORE INTO events (time_unix_nano, event_id, agent_id, seq, service, version, name,
                                          outcome, duration_ms, error_category, attributes, stream)
            VALUES \(Array(repeating: row, count: rows).joined(separator: ", "))
            """
    }

    /// Binds one event's columns at parameters `offset + 1 ... offset + 12`, its text and blob columns into
    /// `texts`; `json` is scratch space for the attributes' text, reused across the records of a commit.
    private static func bind(
        _ event: Vigil_V1_Event, agentID: String, stream: Int64, seq: Int64, to b: SQLiteBinding,
        texts: inout StaticParameters, at offset: Int32, json: inout [UInt8]
    ) {
        b.bind(offset + 1, event.timeUnixNano)
        texts.blob(offset + 2, event.eventID)
        texts.text(offset + 3, agentID)
        b.bind(offset + 4, seq)
        texts.text(offset + 5, event.service)
        texts.text(offset + 6, event.version)
        texts.text(offset + 7, event.name)
        b.bind(offset + 8, Int64(event.outcome.rawValue))
        b.bind(offset + 9, event.durationMs)
        texts.text(offset + 10, event.errorCategory)
        texts.text(offset + 11, utf8: JSONText.encode(event.attributes, into: &json) ? json : nil)
        b.bind(offset + 12, stream)
    }

    private static func insert(
        _ sample: Vigil_V1_Sample, agentID: String, stream: Int64, seq: Int64, db: Database, statement: Statement,
        json: inout [UInt8]
    ) throws {
        let b = SQLiteBinding(handle: statement.sqliteStatement)
        b.reset()
        b.bind(1, sample.timeUnixNano)
        b.bind(2, agentID)
        b.bind(3, seq)
        b.bind(4, sample.metric)
        b.bind(5, sample.value)
        b.bind(6, utf8: JSONText.encode(sample.labels, into: &json) ? json : nil)
        b.bind(7, stream)
        try b.run(db)
    }
}

/// The prepared statements of one commit, from GRDB's statement cache.
private struct CommitStatements {
    let selectHWM: Statement
    let selectStreamNumber: Statement
    let insertStreamNumber: Statement
    let insertSample: Statement
    let upsertStream: Statement
    let touchAgent: Statement

    init(_ db: Database) throws {
        selectHWM = try db.cachedStatement(sql: "SELECT hwm FROM streams WHERE agent_id = ? AND stream_id = ?")
        // Found on every batch after the stream's Hello made it; made here only for a batch without one.
        selectStreamNumber = try db.cachedStatement(
            sql: "SELECT n FROM stream_numbers WHERE agent_id = ? AND stream_id = ?")
        insertStreamNumber = try db.cachedStatement(
            sql: "INSERT INTO stream_numbers (agent_id, stream_id) VALUES (?, ?) RETURNING n")
        insertSample = try db.cachedStatement(
            sql: """
                INSERT INTO samples (time_unix_nano, agent_id, seq, metric, value, labels, stream)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        upsertStream = try db.cachedStatement(
            sql: """
                INSERT INTO streams (agent_id, stream_id, hwm, events, samples, duplicates, duplicate_events, gaps,
                                     missing, first_seen, last_seen)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
                ON CONFLICT (agent_id, stream_id) DO UPDATE SET
                    hwm = max(hwm, excluded.hwm),
                    events = events + excluded.events,
                    samples = samples + excluded.samples,
                    duplicates = duplicates + excluded.duplicates,
                    duplicate_events = duplicate_events + excluded.duplicate_events,
                    gaps = gaps + excluded.gaps,
                    missing = missing + excluded.missing,
                    last_seen = excluded.last_seen
                """)
        touchAgent = try db.cachedStatement(
            sql: """
                UPDATE agents SET last_seen = ?1,
                    newest_record = CASE WHEN ?2 > 0 THEN max(coalesce(newest_record, 0), ?2) ELSE newest_record END
                WHERE agent_id = ?3
                """)
    }
}
