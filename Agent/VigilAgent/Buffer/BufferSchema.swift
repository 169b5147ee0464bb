import GRDB

/// The agent database's named migrations, applied on open.
enum BufferSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // seq is assigned by the agent from meta.next_seq, so it is never reused even after every
            // row has been deleted.
            try db.execute(sql: "CREATE TABLE records (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)")
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT")
            try db.execute(sql: "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT")
            try db.execute(
                sql: """
                    CREATE TABLE status (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        json TEXT NOT NULL,
                        updated_unix_nano INTEGER NOT NULL
                    ) STRICT
                    """
            )
        }
        migrator.registerMigration("v2-stamped-times") { db in
            // The times the agent gave to client event ids that came without one (StampedTimes), written with
            // the records so a retry after a restart gets the first attempt's time; the oldest go first.
            try db.execute(
                sql: """
                    CREATE TABLE stamped_times (
                        id INTEGER PRIMARY KEY,
                        event_id BLOB NOT NULL UNIQUE,
                        time_unix_nano INTEGER NOT NULL
                    ) STRICT
                    """)
        }
        return migrator
    }
}
