import Foundation
import GRDB
import VigilAnalytics

// RollupSchema: the tables of the minute rollups (issue #5 part 7), created by HubSchema's
// `v2-minute-rollups` migration.
//
// Invariants:
// - `minute` is the Unix minute (⌊time_unix_nano / 60 s⌋) the rolled-up records fall in.
// - One row per key (the UNIQUE constraint); a late record merges into its minute's row, never adds a second.
// - `rollup_watermarks` holds, per raw table, the highest rowid already rolled up; it changes in the same
//   transaction as the rollup rows it accounts for, so a record is counted exactly once across restarts.
// - Each table has an index on `minute` alone for retention's range deletes.
// - `event_rollups_hourly` and `sample_rollups_hourly` (migration `v6-hourly-rollups`) hold the same cells
//   merged per hour, `minute` being the hour's first minute, written in the same transactions as the minute
//   cells: windows over a day read them instead.

/// Creates the rollup tables.
enum RollupSchema {
    static func create(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE event_rollups (
                    service TEXT NOT NULL,
                    minute INTEGER NOT NULL,
                    version TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    errors INTEGER NOT NULL,
                    duration_sum REAL NOT NULL,
                    sketch BLOB NOT NULL,
                    scores INTEGER NOT NULL DEFAULT 0,
                    promoters INTEGER NOT NULL DEFAULT 0,
                    detractors INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (service, minute, version, agent_id, name)
                );
                CREATE INDEX event_rollups_by_minute ON event_rollups (minute);
                CREATE TABLE error_rollups (
                    service TEXT NOT NULL,
                    minute INTEGER NOT NULL,
                    version TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    category TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    UNIQUE (service, minute, version, agent_id, name, category)
                );
                CREATE INDEX error_rollups_by_minute ON error_rollups (minute);
                CREATE TABLE sample_rollups (
                    service TEXT NOT NULL,
                    minute INTEGER NOT NULL,
                    version TEXT NOT NULL,
                    agent_id TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    sum REAL NOT NULL,
                    min REAL NOT NULL,
                    max REAL NOT NULL,
                    UNIQUE (service, minute, version, agent_id, metric)
                );
                CREATE INDEX sample_rollups_by_minute ON sample_rollups (minute);
                CREATE INDEX sample_rollups_by_agent ON sample_rollups (agent_id, metric, minute);
                CREATE TABLE rollup_watermarks (
                    source TEXT PRIMARY KEY NOT NULL,
                    last_rowid INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
    }

    /// Creates the hourly tables and fills them from the minute rollups already stored, one day at a time.
    static func createHourly(_ db: Database) throws {
        // The same columns and key as the minute tables, by construction: their own CREATE statements, renamed.
        for table in ["event_rollups", "sample_rollups"] {
            guard
                let sql = try String.fetchOne(
                    db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]),
                sql.hasPrefix("CREATE TABLE \(table) (")
            else { throw DatabaseError(message: "the schema of \(table) is not as migration v2 made it") }
            try db.execute(
                sql: sql.replacingOccurrences(of: "CREATE TABLE \(table) (", with: "CREATE TABLE \(table)_hourly ("))
            try db.execute(sql: "CREATE INDEX \(table)_hourly_by_minute ON \(table)_hourly (minute)")
        }
        try db.execute(
            sql: """
                INSERT INTO sample_rollups_hourly (service, minute, version, agent_id, metric, count, sum, min, max)
                    SELECT service, minute - (((minute % 60) + 60) % 60), version, agent_id, metric, sum(count),
                           sum(sum), min(min), max(max)
                    FROM sample_rollups GROUP BY 1, 2, 3, 4, 5;
                """)
        // Event cells hold sketches, which only Swift merges.
        guard let low = try Int64.fetchOne(db, sql: "SELECT min(minute) FROM event_rollups"),
            let high = try Int64.fetchOne(db, sql: "SELECT max(minute) FROM event_rollups")
        else { return }
        var day = MinuteRollup.hourStart(ofMinute: low)
        while day <= high {
            var chunk = MinuteRollup.Chunk()
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT service, minute, version, agent_id, name, count, errors, duration_sum, sketch, scores,
                           promoters, detractors
                    FROM event_rollups WHERE minute >= ? AND minute < ?
                    """,
                arguments: [day, day + 1440])
            while let row = try rows.next() {
                // A damaged minute cell (its sketch unreadable) is left out of its hour rather than stop the
                // upgrade: ingest tolerates such cells too (see CommitRollup).
                guard let cell = try? SQLiteEventStore.eventCell(row, from: 5) else { continue }
                chunk.merge(
                    cell,
                    at: MinuteRollup.EventKey(
                        service: row[0], minute: MinuteRollup.hourStart(ofMinute: row[1]), version: row[2],
                        host: row[3], name: row[4]))
            }
            _ = try SQLiteEventStore.writeEvents(chunk, into: .hour, db)
            day += 1440
        }
    }
}
