import Foundation
import GRDB
import GRDBSQLite
import VigilAnalytics
import VigilProtocol

// CommitRollup: the minute rollups of the records one commit stores, folded from the decoded records in the
// commit's own transaction, so the rollup job need not read every stored event back (that readback cost the
// hub's CPU about 1.7 µs per event).
//
// Invariants:
// - The rollup watermarks keep their meaning: every raw row with a rowid at or below its table's watermark
//   is in the rollups exactly once. A commit folds only when the watermarks are at the newest rows, or
//   behind by at most `catchUpRows` (it then reads those rows back first); otherwise it leaves the rollups
//   to the job, which catches up and hands back to the commits.
// - Only rows the commit inserted are folded, each once. A multi-row INSERT OR IGNORE inserts its new rows
//   with the consecutive rowids ending at `sqlite3_last_insert_rowid`; when it ignored some, each row's stored
//   rowid tells whether this statement inserted it, and a second copy of an event in the same statement
//   finds the rowid its first copy was folded under.
// - The cells and the watermarks are written in the commit's transaction: a failed commit leaves both as
//   they were. Rollups that cannot be written (a damaged cell) never stop ingest: they roll back to a
//   savepoint, the records are stored and acknowledged, and the job, which logs and counts the failure,
//   rolls them up once it can.
// - A sample is attributed to its own `service`/`version` labels, or else to those its agent sent in Hello
//   (as the job does). The folding itself is CommitFold's, the same value the PostgreSQL store folds with.

/// The rollups being folded by one commit.
struct CommitRollup {
    /// The most raw rows (per table) a commit reads back to catch the watermarks up before folding.
    static let catchUpRows: Int64 = 20_000

    private(set) var fold = CommitFold(keepsCalls: false)
    /// The watermarks when the commit began; only this commit moves them until it ends.
    private var watermarks: RollupWatermarks
    private var staged: [MinuteRollup.RawEvent] = []
    private var agentLabels: [String: (service: String, version: String)] = [:]

    /// A rollup for this commit, or `nil` when the watermarks are too far behind and the job rolls up.
    static func begin(_ db: Database) throws -> CommitRollup? {
        let marks = RollupWatermarks(
            events: try SQLiteEventStore.watermark(SQLiteEventStore.eventSource, db),
            samples: try SQLiteEventStore.watermark(SQLiteEventStore.sampleSource, db))
        let behind = (
            try SQLiteEventStore.newestRowid("events", db) - marks.events,
            try SQLiteEventStore.newestRowid("samples", db) - marks.samples
        )
        guard behind.0 <= catchUpRows && behind.1 <= catchUpRows else { return nil }
        var rollup = CommitRollup(watermarks: marks)
        if behind.0 > 0 || behind.1 > 0 {
            rollup.fold = CommitFold(
                chunk: try SQLiteEventStore.readChunk(db, limit: Int(catchUpRows)).chunk, keepsCalls: false)
        }
        return rollup
    }

    /// Stages an event of the multi-row insert being bound; ``foldStaged(inserted:db:eventID:)`` folds it in
    /// once the insert ran, if it inserted the event. Staging while binding reads the event once.
    mutating func stage(_ event: Vigil_V1_Event, agentID: String) {
        staged.append(
            MinuteRollup.RawEvent(
                timeUnixNano: event.timeUnixNano, service: event.service, version: event.version, host: agentID,
                name: event.name, failed: event.outcome == .error, durationMs: event.durationMs,
                errorCategory: event.errorCategory,
                score: event.name == MinuteRollup.feedbackName ? event.attributes["score"] : nil))
    }

    /// Folds in a sample this commit inserted.
    mutating func add(_ sample: Vigil_V1_Sample, agentID: String, db: Database) throws {
        let agent = try labels(of: agentID, db)
        fold.add(sample, agentID: agentID, agentService: agent.service, agentVersion: agent.version)
    }

    /// Folds in the staged events after their multi-row insert inserted `inserted` of them. When it ignored
    /// some, `eventID(i)` gives staged event i's id to look its row up.
    mutating func foldStaged(inserted: Int, db: Database, eventID: (Int) -> Data) throws {
        defer { staged.removeAll(keepingCapacity: true) }
        if inserted == staged.count {
            for event in staged { fold.add(event) }
            return
        }
        if inserted == 0 { return }
        let firstNew = sqlite3_last_insert_rowid(db.sqliteConnection) - Int64(inserted) + 1
        let lookup = try db.cachedStatement(sql: "SELECT rowid FROM events WHERE time_unix_nano = ? AND event_id = ?")
        let b = SQLiteBinding(handle: lookup.sqliteStatement)
        // Two copies of one event in the same statement find the same new row: only the first is folded.
        var folded = Set<Int64>()
        for (i, event) in staged.enumerated() {
            b.reset()
            b.bind(1, event.timeUnixNano)
            b.bind(2, eventID(i))
            defer { sqlite3_reset(lookup.sqliteStatement) }
            guard try b.step(db) else { continue }
            let rowid = sqlite3_column_int64(lookup.sqliteStatement, 0)
            if rowid >= firstNew, folded.insert(rowid).inserted { fold.add(event) }
        }
    }

    /// Writes the folded cells and moves both watermarks to the newest rows, or, when a stored cell cannot
    /// be read back (a damaged sketch), leaves the rollups as they were for the job (see the invariants).
    /// A database error (a full disk, I/O) still fails the commit, as its inserts would.
    func finishOrLeaveToJob(_ db: Database) throws {
        do {
            try db.inSavepoint {
                try finish(db)
                return .commit
            }
        } catch let error as DatabaseError {
            throw error
        } catch {
            // The damaged cell fails the job's passes too, which log it and count it in their failures.
        }
    }

    private func finish(_ db: Database) throws {
        _ = try SQLiteEventStore.write(fold.chunk, db)
        for (source, table, mark) in [
            (SQLiteEventStore.eventSource, "events", watermarks.events),
            (SQLiteEventStore.sampleSource, "samples", watermarks.samples),
        ] {
            let newest = try SQLiteEventStore.newestRowid(table, db)
            if newest > mark { try SQLiteEventStore.setWatermark(source, newest, db) }
        }
    }

    private mutating func labels(of agentID: String, _ db: Database) throws -> (service: String, version: String) {
        if let known = agentLabels[agentID] { return known }
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT coalesce(json_extract(labels, '$.service'), ''), coalesce(json_extract(labels, '$.version'), '')
                FROM agents WHERE agent_id = ?
                """,
            arguments: [agentID])
        let labels: (service: String, version: String) = row.map { ($0[0], $0[1]) } ?? ("", "")
        agentLabels[agentID] = labels
        return labels
    }
}
