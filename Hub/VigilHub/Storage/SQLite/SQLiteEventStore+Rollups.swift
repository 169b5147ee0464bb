import Foundation
import GRDB
import GRDBSQLite
import VigilAnalytics

// The rollup job's I/O on SQLite. A chunk is read on a WAL snapshot (ingest keeps writing meanwhile), folded
// in memory, then written in one short write transaction that first checks the watermark is still the one
// the chunk was read after (compare-and-set): two passes racing for the same chunk write it once.
//
// Known limit: SQLite reuses the highest rowid of a table if that row is deleted. Retention deletes by age,
// so this can only happen when the newest-inserted event is itself older than `retention.raw`; such an
// event is rolled up before it can be deleted unless the job is far behind.

extension SQLiteEventStore: RollupStore {
    static let eventSource = "events"
    static let sampleSource = "samples"

    public func rollupWatermarks() async throws(StoreError) -> RollupWatermarks {
        do {
            return try await pool.read { db in
                RollupWatermarks(
                    events: try Self.watermark(Self.eventSource, db), samples: try Self.watermark(Self.sampleSource, db)
                )
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the rollup watermarks")
        }
    }

    public func rollUp(limit: Int) async throws(StoreError) -> RollupProgress {
        do {
            let read = try await pool.read { db in try Self.readChunk(db, limit: limit) }
            var progress = RollupProgress()
            progress.events = read.events
            progress.samples = read.samples
            progress.refused = read.chunk.refused
            if read.events == 0 && read.samples == 0 { return progress }
            let written = try await pool.write { db -> Int? in
                let marks = (try Self.watermark(Self.eventSource, db), try Self.watermark(Self.sampleSource, db))
                guard marks == (read.fromEvent, read.fromSample) else { return nil }
                let rows = try Self.write(read.chunk, db)
                try Self.setWatermark(Self.eventSource, read.toEvent, db)
                try Self.setWatermark(Self.sampleSource, read.toSample, db)
                return rows
            }
            if let written {
                progress.rowsWritten = written
            } else {
                progress = RollupProgress()
                progress.lostRace = true
            }
            return progress
        } catch {
            throw Self.classify(error, as: .write, doing: "roll up raw records")
        }
    }

    public func deleteRollups(beforeMinute minute: Int64, limit: Int) async throws(StoreError) -> Int {
        do {
            return try await pool.write { db in
                var deleted = 0
                let hour = RollupResolution.hour.expiryBound(before: minute)
                let tables: [(String, Int64)] = [
                    (RollupResolution.minute.eventTable, minute), ("error_rollups", minute),
                    (RollupResolution.minute.sampleTable, minute), (RollupResolution.hour.eventTable, hour),
                    (RollupResolution.hour.sampleTable, hour),
                ]
                for (table, before) in tables where deleted < limit {
                    try db.execute(
                        sql: """
                            DELETE FROM \(table) WHERE rowid IN
                                (SELECT rowid FROM \(table) WHERE minute < ? ORDER BY minute LIMIT ?)
                            """,
                        arguments: [before, limit - deleted])
                    deleted += db.changesCount
                }
                return deleted
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "delete expired rollups")
        }
    }

    public func rolledUpServices(minutes: ClosedRange<Int64>) async throws(StoreError) -> [String] {
        do {
            return try await pool.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT service FROM event_rollups WHERE minute BETWEEN ?1 AND ?2
                        UNION SELECT DISTINCT service FROM sample_rollups WHERE minute BETWEEN ?1 AND ?2 AND service != ''
                        ORDER BY 1
                        """,
                    arguments: [minutes.lowerBound, minutes.upperBound])
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "list the services with rollups")
        }
    }

    public func eventRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [EventRollupRow] {
        do {
            return try await pool.read { db in
                let cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT minute, version, agent_id, name, count, errors, duration_sum, sketch, scores, promoters,
                               detractors
                        FROM \(resolution.eventTable) WHERE service = ? AND minute BETWEEN ? AND ?
                        """,
                    arguments: [service, minutes.lowerBound, minutes.upperBound])
                var rows: [EventRollupRow] = []
                while let row = try cursor.next() {
                    let key = MinuteRollup.EventKey(
                        service: service, minute: row[0], version: row[1], host: row[2], name: row[3])
                    rows.append(EventRollupRow(key: key, cell: try Self.eventCell(row, from: 4)))
                }
                return rows
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the event rollups of a service")
        }
    }

    public func sampleRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [SampleRollupRow] {
        do {
            return try await pool.read { db in
                let cursor = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT minute, version, agent_id, metric, count, sum, min, max
                        FROM \(resolution.sampleTable) WHERE service = ? AND minute BETWEEN ? AND ?
                        """,
                    arguments: [service, minutes.lowerBound, minutes.upperBound])
                var rows: [SampleRollupRow] = []
                while let row = try cursor.next() {
                    let key = MinuteRollup.SampleKey(
                        service: service, minute: row[0], version: row[1], host: row[2], metric: row[3])
                    rows.append(
                        SampleRollupRow(
                            key: key, cell: SampleCell(count: row[4], sum: row[5], min: row[6], max: row[7])))
                }
                return rows
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the sample rollups of a service")
        }
    }

    public func errorCategories(
        service: String, recent: Range<Int64>, previous: Range<Int64>
    ) async throws(StoreError) -> [ErrorCategoryCount] {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT version, category,
                               coalesce(sum(CASE WHEN minute >= ?2 AND minute < ?3 THEN count END), 0),
                               coalesce(sum(CASE WHEN minute >= ?4 AND minute < ?5 THEN count END), 0)
                        FROM error_rollups
                        WHERE service = ?1 AND minute >= min(?2, ?4) AND minute < max(?3, ?5)
                        GROUP BY version, category ORDER BY version, category
                        """,
                    arguments: [
                        service, recent.lowerBound, recent.upperBound, previous.lowerBound, previous.upperBound,
                    ])
                return rows.map { row in
                    ErrorCategoryCount(version: row[0], category: row[1], recent: row[2], previous: row[3])
                }
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the error categories of a service")
        }
    }

    public func calls(afterRowid rowid: Int64, sinceUnixNano: Int64, limit: Int) async throws(StoreError) -> CallBatch {
        do {
            return try await pool.read { db in
                // Through the C API, reusing unchanged strings as readChunk does: every stored event is read here.
                let statement = try db.cachedStatement(
                    sql: """
                        SELECT rowid, time_unix_nano, service, version, agent_id, outcome, duration_ms
                        FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?
                        """)
                let binding = SQLiteBinding(handle: statement.sqliteStatement)
                binding.reset()
                binding.bind(1, rowid)
                binding.bind(2, Int64(limit))
                defer { sqlite3_reset(statement.sqliteStatement) }
                var columns = RepeatedTextColumns(count: 3)
                var batch = CallBatch(calls: [], lastRowid: rowid, rowsRead: 0)
                while try binding.step(db) {
                    let handle = statement.sqliteStatement
                    batch.lastRowid = sqlite3_column_int64(handle, 0)
                    batch.rowsRead += 1
                    let time = sqlite3_column_int64(handle, 1)
                    guard time >= sinceUnixNano else { continue }
                    batch.calls.append(
                        CallRecord(
                            timeUnixNano: time, service: columns.text(handle, 2, slot: 0),
                            version: columns.text(handle, 3, slot: 1), host: columns.text(handle, 4, slot: 2),
                            failed: sqlite3_column_int64(handle, 5) == 2, durationMs: sqlite3_column_double(handle, 6)))
                }
                return batch
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the newest calls")
        }
    }

    public func lastEventRowid() async throws(StoreError) -> Int64 {
        do {
            return try await pool.read { db in try Self.newestRowid("events", db) }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the newest event rowid")
        }
    }

    /// The highest rowid of `table` (0 when empty).
    static func newestRowid(_ table: String, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(rowid) FROM \(table)") ?? 0
    }
}
