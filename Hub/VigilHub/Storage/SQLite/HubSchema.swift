import GRDB

/// The hub database's schema as named migrations, applied in order on open (and by
/// `vigil-hub migrate`). A migration, once released, never changes; changes come as new ones.
enum HubSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-streams-agents-records") { db in
            // One row per (agent, stream): the dedupe high-water mark and the stream's counters, all
            // updated in the transaction that stores the records.
            try db.execute(
                sql: """
                    CREATE TABLE streams (
                        agent_id TEXT NOT NULL,
                        stream_id BLOB NOT NULL,
                        hwm INTEGER NOT NULL DEFAULT 0,
                        events INTEGER NOT NULL DEFAULT 0,
                        samples INTEGER NOT NULL DEFAULT 0,
                        duplicates INTEGER NOT NULL DEFAULT 0,
                        duplicate_events INTEGER NOT NULL DEFAULT 0,
                        gaps INTEGER NOT NULL DEFAULT 0,
                        missing INTEGER NOT NULL DEFAULT 0,
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        PRIMARY KEY (agent_id, stream_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE agents (
                        agent_id TEXT PRIMARY KEY NOT NULL,
                        hostname TEXT NOT NULL DEFAULT '',
                        agent_version TEXT NOT NULL DEFAULT '',
                        labels TEXT NOT NULL DEFAULT '{}',
                        first_seen INTEGER NOT NULL,
                        last_seen INTEGER NOT NULL,
                        connected INTEGER NOT NULL DEFAULT 0,
                        stream_id BLOB,
                        newest_record INTEGER
                    );
                    CREATE TABLE events (
                        time_unix_nano INTEGER NOT NULL,
                        event_id BLOB NOT NULL,
                        agent_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        service TEXT NOT NULL,
                        version TEXT NOT NULL,
                        name TEXT NOT NULL,
                        outcome INTEGER NOT NULL,
                        duration_ms REAL NOT NULL,
                        error_category TEXT NOT NULL,
                        attributes TEXT,
                        UNIQUE (time_unix_nano, event_id)
                    );
                    CREATE INDEX events_by_service ON events (service, version, time_unix_nano);
                    CREATE INDEX events_by_agent ON events (agent_id, time_unix_nano);
                    CREATE TABLE samples (
                        time_unix_nano INTEGER NOT NULL,
                        agent_id TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        metric TEXT NOT NULL,
                        value REAL NOT NULL,
                        labels TEXT
                    );
                    CREATE INDEX samples_by_time ON samples (time_unix_nano);
                    CREATE INDEX samples_by_agent ON samples (agent_id, metric, time_unix_nano);
                    CREATE INDEX samples_by_metric ON samples (metric, time_unix_nano);
                    """
            )
        }
        migrator.registerMigration("v2-alert-state") { db in
            // The alert evaluator's state, one row per alert instance (pending, firing or recently
            // resolved), rewritten after every evaluation so a restarted hub resumes where it stopped.
            try db.execute(
                sql: """
                    CREATE TABLE alert_state (
                        fingerprint TEXT PRIMARY KEY NOT NULL,
                        rule TEXT NOT NULL,
                        state TEXT NOT NULL,
                        body TEXT NOT NULL,
                        updated INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2-minute-rollups") { db in
            try RollupSchema.create(db)
        }
        migrator.registerMigration("v3-drop-events-by-agent") { db in
            // Every stored event paid 2.3 µs of the hub's single writer (a quarter of its insert cost) to
            // keep this index, which only served queries by agent without a service. Such queries now
            // read the time range through the (time_unix_nano, event_id) index and filter by agent;
            // rollups and version analysis never used it.
            try db.execute(sql: "DROP INDEX events_by_agent")
        }
        migrator.registerMigration("v4-record-streams") { db in
            // Each stored record names the stream it came in on, so (agent_id, stream, seq) identifies it: what
            // the reliability oracle checks exactly-once by. `stream` is a small number for the (agent_id,
            // stream_id) pair rather than the 16-byte id, to keep rows short on the ingest path.
            try db.execute(
                sql: """
                    CREATE TABLE stream_numbers (
                        n INTEGER PRIMARY KEY,
                        agent_id TEXT NOT NULL,
                        stream_id BLOB NOT NULL,
                        UNIQUE (agent_id, stream_id)
                    );
                    INSERT INTO stream_numbers (agent_id, stream_id) SELECT agent_id, stream_id FROM streams;
                    ALTER TABLE events ADD COLUMN stream INTEGER;
                    ALTER TABLE samples ADD COLUMN stream INTEGER;
                    """
            )
        }
        migrator.registerMigration("v5-decision-state") { db in
            // The decision engine's circuit breakers, autoscaler histories and call watermark, one row each,
            // rewritten after every evaluation so a restarted hub keeps open breakers open and does not scale
            // down before the stabilization window has passed.
            try db.execute(
                sql: """
                    CREATE TABLE decision_state (
                        kind TEXT NOT NULL,
                        key TEXT NOT NULL,
                        body TEXT NOT NULL,
                        updated INTEGER NOT NULL,
                        PRIMARY KEY (kind, key)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v6-hourly-rollups") { db in
            // The minute cells merged per hour: a 30-day verdict reads 720 cells per host and event name, not
            // 43,200.
            try RollupSchema.createHourly(db)
        }
        migrator.registerMigration("v7-refusals") { db in
            // Records refused by authorization (DESIGN §8), per agent and reason, counted by the commit that
            // acknowledged them.
            try db.execute(
                sql: """
                    CREATE TABLE refusals (
                        agent_id TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        records INTEGER NOT NULL,
                        last_service TEXT NOT NULL,
                        updated INTEGER NOT NULL,
                        PRIMARY KEY (agent_id, reason)
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }
}
