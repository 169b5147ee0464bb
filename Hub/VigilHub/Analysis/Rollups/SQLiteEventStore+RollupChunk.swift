import Foundation
import GRDB
import VigilAnalytics

// Reading one chunk of raw rows after the watermarks, and merging a folded chunk into the rollup tables.
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
        let events = try Row.fetchCursor(
            db,
            sql: """
                SELECT rowid, time_unix_nano, service, version, agent_id, name, outcome, duration_ms, error_category,
                       CASE WHEN name = 'feedback' THEN json_extract(attributes, '$.score') END
                FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?
                """,
            arguments: [read.fromEvent, limit])
        while let row = try events.next() {
            read.toEvent = row[0]
            read.events += 1
            read.chunk.add(
                MinuteRollup.RawEvent(
                    timeUnixNano: row[1], service: row[2], version: row[3], host: row[4], name: row[5],
                    failed: (row[6] as Int64) == 2, durationMs: row[7], errorCategory: row[8],
                    score: text(row[9])))
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

    /// Merges `chunk` into the rollup tables; returns the rows written.
    static func write(_ chunk: MinuteRollup.Chunk, _ db: Database) throws -> Int {
        let select = try db.cachedStatement(
            sql: """
                SELECT count, errors, duration_sum, sketch, scores, promoters, detractors FROM event_rollups
                WHERE service = ? AND minute = ? AND version = ? AND agent_id = ? AND name = ?
                """)
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO event_rollups (service, minute, version, agent_id, name, count, errors, duration_sum,
                                           sketch, scores, promoters, detractors)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, minute, version, agent_id, name) DO UPDATE SET
                    count = excluded.count, errors = excluded.errors, duration_sum = excluded.duration_sum,
                    sketch = excluded.sketch, scores = excluded.scores, promoters = excluded.promoters,
                    detractors = excluded.detractors
                """)
        var rows = 0
        for (key, fresh) in chunk.events {
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
        let samples = try db.cachedStatement(
            sql: """
                INSERT INTO sample_rollups (service, minute, version, agent_id, metric, count, sum, min, max)
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

    /// A JSON attribute as text: agents store attributes as strings, but a number is read as one too.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let text): text
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .null, .blob: nil
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
