import GRDB

// RollupSchema: the tables of the minute rollups (issue #5 part 7), created by HubSchema's
// `v2-minute-rollups` migration.
//
// Invariants:
// - `minute` is the Unix minute (⌊time_unix_nano / 60 s⌋) the rolled-up records fall in.
// - One row per key (the UNIQUE constraint); a late record merges into its minute's row, never adds a second.
// - `rollup_watermarks` holds, per raw table, the highest rowid already rolled up; it changes in the same
//   transaction as the rollup rows it accounts for, so a record is counted exactly once across restarts.
// - Each table has an index on `minute` alone for retention's range deletes.

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
}
