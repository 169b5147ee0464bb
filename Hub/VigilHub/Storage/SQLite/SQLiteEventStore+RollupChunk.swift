import Foundation
import GRDB
import GRDBSQLite
import VigilAnalytics

// Reading one chunk of raw rows after the watermarks, and merging a folded chunk into the rollup tables (minute
// and hourly).
// Event cells are read, merged in memory (sketches cannot be added in SQL) and upserted; error and sample
// cells are added in SQL by their upserts.

extension SQLiteEventStore {
    struct ReadChunk {
        var chunk = MinuteRollup.Chunk()
        var fromEvent: Int64 = 0
        var toEvent: Int64 = 0
        var fromSample: Int64 = 0
        var toSample: Int64 = 0
        var events = 0
        var samples = 0
    }

    static func readChunk(_ db: Database, limit: Int) throws -> ReadChunk {
        var read = ReadChunk()
        read.fromEvent = try watermark(eventSource, db)
        read.fromSample = try watermark(sampleSource, db)
        read.toEvent = read.fromEvent
        read.toSample = read.fromSample
        // Read through the C API: this reads back every stored event, and GRDB's rows and a new String
        // per text column cost the hub's CPU 2 µs per event. Consecutive rows mostly repeat the same
        // service, version, agent and name, so those strings are reused while the bytes are the same.
        let events = try db.cachedStatement(
            sql: """
                SELECT rowid, time_unix_nano, service, version, agent_id, name, outcome, duration_ms, error_category,
                       CASE WHEN name = 'feedback' THEN json_extract(attributes, '$.score') END
                FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?
                """)
        let binding = SQLiteBinding(handle: events.sqliteStatement)
        binding.reset()
        binding.bind(1, read.fromEvent)
        binding.bind(2, Int64(limit))
        defer { sqlite3_reset(events.sqliteStatement) }
        var columns = RepeatedTextColumns(count: 5)
        while try binding.step(db) {
            let handle = events.sqliteStatement
            read.toEvent = sqlite3_column_int64(handle, 0)
            read.events += 1
            read.chunk.add(
                MinuteRollup.RawEvent(
                    timeUnixNano: sqlite3_column_int64(handle, 1), service: columns.text(handle, 2, slot: 0),
                    version: columns.text(handle, 3, slot: 1), host: columns.text(handle, 4, slot: 2),
                    name: columns.text(handle, 5, slot: 3), failed: sqlite3_column_int64(handle, 6) == 2,
                    durationMs: sqlite3_column_double(handle, 7), errorCategory: columns.text(handle, 8, slot: 4),
                    score: scoreText(handle, 9)))
        }
        // A sample's service and version are its own labels, or else those its agent sent in Hello.
        let samples = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.rowid, s.time_unix_nano, s.agent_id, s.metric, s.value,
                       coalesce(json_extract(s.labels, '$.service'), json_extract(a.labels, '$.service'), ''),
                       coalesce(json_extract(s.labels, '$.version'), json_extract(a.labels, '$.version'), '')
                FROM samples s LEFT JOIN agents a ON a.agent_id = s.agent_id
                WHERE s.rowid > ? ORDER BY s.rowid LIMIT ?
                """,
            arguments: [read.fromSample, limit])
        while let row = try samples.next() {
            read.toSample = row[0]
            read.samples += 1
            read.chunk.add(
                MinuteRollup.RawSample(
                    timeUnixNano: row[1], service: row[5], version: row[6], host: row[2], metric: row[3],
                    value: row[4]))
        }
        return read
    }

    /// Merges `chunk` into the minute rollup tables and its hourly merge into the hourly ones; returns the rows
    /// written.
    static func write(_ chunk: MinuteRollup.Chunk, _ db: Database) throws -> Int {
        let hourly = chunk.hourly
        return try writeEvents(chunk, into: .minute, db) + writeErrors(chunk, db)
            + writeSamples(chunk, into: .minute, db) + writeEvents(hourly, into: .hour, db)
            + writeSamples(hourly, into: .hour, db)
    }

    /// Merges the event cells of `chunk` into the event rollup table of `resolution`.
    static func writeEvents(
        _ chunk: MinuteRollup.Chunk, into resolution: RollupResolution, _ db: Database
    ) throws -> Int {
        let table = resolution.eventTable
        let select = try db.cachedStatement(
            sql: """
                SELECT count, errors, duration_sum, sketch, scores, promoters, detractors FROM \(table)
                WHERE service = ? AND minute = ? AND version = ? AND agent_id = ? AND name = ?
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (service, minute, version, agent_id, name, count, errors, duration_sum,
                                           sketch, scores, promoters, detractors)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, minute, version, agent_id, name) DO UPDATE SET
                    count = excluded.count, errors = excluded.errors, duration_sum = excluded.duration_sum,
                    sketch = excluded.sketch, scores = excluded.scores, promoters = excluded.promoters,
                    detractors = excluded.detractors
                """)
        var rows = 0
        for (key, fresh) in zip(chunk.eventKeys, chunk.eventCells) {
            let keyArguments: StatementArguments = [key.service, key.minute, key.version, key.host, key.name]
            var cell = fresh
            if let existing = try Row.fetchOne(select, arguments: keyArguments) {
                var merged = try eventCell(existing, from: 0)
                merged.merge(fresh)
                cell = merged
            }
            try upsert.execute(
                arguments: keyArguments
                    + [
                        cell.count, cell.errors, cell.durationSum, Data(cell.sketch.serialized()), cell.scores,
                        cell.promoters, cell.detractors,
                    ])
            rows += 1
        }
        return rows
    }

    private static func writeErrors(_ chunk: MinuteRollup.Chunk, _ db: Database) throws -> Int {
        var rows = 0
        let errors = try db.cachedStatement(
            sql: """
                INSERT INTO error_rollups (service, minute, version, agent_id, name, category, count)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, minute, version, agent_id, name, category) DO UPDATE SET
                    count = count + excluded.count
                """)
        for (key, categories) in chunk.errors {
            for (category, count) in categories {
                try errors.execute(arguments: [
                    key.service, key.minute, key.version, key.host, key.name, category, count,
                ])
                rows += 1
            }
        }
        return rows
    }

    /// Adds the sample cells of `chunk` into the sample rollup table of `resolution`.
    static func writeSamples(
        _ chunk: MinuteRollup.Chunk, into resolution: RollupResolution, _ db: Database
    ) throws -> Int {
        let table = resolution.sampleTable
        var rows = 0
        let samples = try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (service, minute, version, agent_id, metric, count, sum, min, max)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, minute, version, agent_id, metric) DO UPDATE SET
                    count = count + excluded.count, sum = sum + excluded.sum,
                    min = min(min, excluded.min), max = max(max, excluded.max)
                """)
        for (key, cell) in chunk.samples {
            try samples.execute(
                arguments: [
                    key.service, key.minute, key.version, key.host, key.metric, cell.count, cell.sum, cell.min,
                    cell.max,
                ])
            rows += 1
        }
        return rows
    }

    /// Column `column` of the current row, a JSON attribute, as text: agents store attributes as strings,
    /// but a number is read as one too.
    private static func scoreText(_ handle: OpaquePointer, _ column: Int32) -> String? {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_TEXT:
            String(
                decoding: UnsafeBufferPointer(
                    start: sqlite3_column_text(handle, column), count: Int(sqlite3_column_bytes(handle, column))),
                as: UTF8.self)
        case SQLITE_INTEGER: String(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: String(sqlite3_column_double(handle, column))
        default: nil
        }
    }

    static func eventCell(_ row: Row, from index: Int) throws -> EventCell {
        var cell = EventCell()
        cell.count = row[index]
        cell.errors = row[index + 1]
        cell.durationSum = row[index + 2]
        let blob: Data = row[index + 3]
        cell.sketch = try DDSketch(serialized: [UInt8](blob))
        cell.scores = row[index + 4]
        cell.promoters = row[index + 5]
        cell.detractors = row[index + 6]
        return cell
    }

    static func watermark(_ source: String, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT last_rowid FROM rollup_watermarks WHERE source = ?", arguments: [source])
            ?? 0
    }

    static func setWatermark(_ source: String, _ rowid: Int64, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO rollup_watermarks (source, last_rowid) VALUES (?, ?)
                ON CONFLICT (source) DO UPDATE SET last_rowid = excluded.last_rowid
                """,
            arguments: [source, rowid])
    }
}

/// Text columns read row after row, each kept as a String that is reused while the column's bytes do
/// not change.
struct RepeatedTextColumns {
    private var last: [String]

    init(count: Int) { last = Array(repeating: "", count: count) }

    mutating func text(_ handle: OpaquePointer, _ column: Int32, slot: Int) -> String {
        // sqlite3_column_text before sqlite3_column_bytes, as SQLite asks.
        guard let pointer = sqlite3_column_text(handle, column) else {
            last[slot] = ""
            return ""
        }
        let bytes = UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column)))
        let same =
            last[slot].utf8.withContiguousStorageIfAvailable {
                $0.count == bytes.count && ($0.isEmpty || memcmp($0.baseAddress!, bytes.baseAddress!, $0.count) == 0)
            } ?? false
        if !same { last[slot] = String(decoding: bytes, as: UTF8.self) }
        return last[slot]
    }
}
