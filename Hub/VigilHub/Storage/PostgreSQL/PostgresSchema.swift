import Logging
import PostgresNIO

// PostgresSchema: the PostgreSQL store's tables as numbered migrations (DESIGN §7), applied by
// `vigil-hub migrate` and on start.
//
// Invariants:
// - Migrations run in order, each in its own transaction together with its row in `vigil_migrations`; a
//   released migration never changes, changes come as new ones.
// - Two hubs starting together do not race: the whole run holds a session advisory lock
//   (``migrationLock``); the second waits, then finds nothing left to do.
// - `events` and `samples` are partitioned by `time_unix_nano`, the rollup tables by `minute`, one partition
//   per UTC day (``PostgresPartitions``). Each has a DEFAULT partition for records too far from now to get a
//   day of their own, so an agent with a wild clock cannot make thousands of tables. Unique keys include the
//   partition key, as PostgreSQL requires: events are unique by `(time_unix_nano, event_id)`.
// - `created_xid` (the inserting transaction's id) orders what commits wrote for readers that must see every
//   row exactly once although commits of several replicas interleave: a reader takes rows whose xid is below
//   its snapshot's xmin, where no transaction can still be running (see `call_batches`).
enum PostgresSchema {
    /// `pg_advisory_lock` key held while migrating ("vigilmig").
    static let migrationLock: Int64 = 0x7669_6769_6C6D_6967

    struct Migration: Sendable {
        let name: String
        let sql: [String]
        /// Work SQL cannot do (merging sketches), run after `sql` in the same transaction.
        var backfill: (@Sendable (PostgresConnection, Logger) async throws -> Void)? = nil
    }

    static let migrations: [Migration] = [
        Migration(
            name: "0001-streams-agents-records",
            sql: [
                """
                CREATE TABLE agents (
                    agent_id text PRIMARY KEY,
                    hostname text NOT NULL DEFAULT '',
                    agent_version text NOT NULL DEFAULT '',
                    labels text NOT NULL DEFAULT '{}',
                    first_seen bigint NOT NULL,
                    last_seen bigint NOT NULL,
                    -- The replica the agent's open connection is on; NULL when none.
                    connected_hub text,
                    stream_id bytea,
                    newest_record bigint
                )
                """,
                """
                CREATE TABLE streams (
                    agent_id text NOT NULL,
                    stream_id bytea NOT NULL,
                    n bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    hwm bigint NOT NULL DEFAULT 0,
                    events bigint NOT NULL DEFAULT 0,
                    samples bigint NOT NULL DEFAULT 0,
                    duplicates bigint NOT NULL DEFAULT 0,
                    duplicate_events bigint NOT NULL DEFAULT 0,
                    gaps bigint NOT NULL DEFAULT 0,
                    missing bigint NOT NULL DEFAULT 0,
                    first_seen bigint NOT NULL,
                    last_seen bigint NOT NULL,
                    PRIMARY KEY (agent_id, stream_id)
                )
                """,
                """
                CREATE TABLE events (
                    time_unix_nano bigint NOT NULL,
                    event_id bytea NOT NULL,
                    agent_id text NOT NULL,
                    stream bigint NOT NULL,
                    seq bigint NOT NULL,
                    service text NOT NULL,
                    version text NOT NULL,
                    name text NOT NULL,
                    outcome smallint NOT NULL,
                    duration_ms double precision NOT NULL,
                    error_category text NOT NULL,
                    attributes text,
                    UNIQUE (time_unix_nano, event_id)
                ) PARTITION BY RANGE (time_unix_nano)
                """,
                "CREATE INDEX events_by_service ON events (service, version, time_unix_nano)",
                "CREATE TABLE events_default PARTITION OF events DEFAULT",
                """
                CREATE TABLE samples (
                    time_unix_nano bigint NOT NULL,
                    agent_id text NOT NULL,
                    stream bigint NOT NULL,
                    seq bigint NOT NULL,
                    metric text NOT NULL,
                    value double precision NOT NULL,
                    labels text
                ) PARTITION BY RANGE (time_unix_nano)
                """,
                "CREATE INDEX samples_by_time ON samples (time_unix_nano)",
                "CREATE INDEX samples_by_agent ON samples (agent_id, metric, time_unix_nano)",
                "CREATE TABLE samples_default PARTITION OF samples DEFAULT",
            ]),
        Migration(
            name: "0002-minute-rollups",
            sql: [
                """
                CREATE TABLE event_rollups (
                    service text NOT NULL,
                    minute bigint NOT NULL,
                    version text NOT NULL,
                    agent_id text NOT NULL,
                    name text NOT NULL,
                    count bigint NOT NULL,
                    errors bigint NOT NULL,
                    duration_sum double precision NOT NULL,
                    sketch bytea NOT NULL,
                    scores bigint NOT NULL DEFAULT 0,
                    promoters bigint NOT NULL DEFAULT 0,
                    detractors bigint NOT NULL DEFAULT 0,
                    PRIMARY KEY (service, minute, version, agent_id, name)
                ) PARTITION BY RANGE (minute)
                """,
                "CREATE TABLE event_rollups_default PARTITION OF event_rollups DEFAULT",
                """
                CREATE TABLE error_rollups (
                    service text NOT NULL,
                    minute bigint NOT NULL,
                    version text NOT NULL,
                    agent_id text NOT NULL,
                    name text NOT NULL,
                    category text NOT NULL,
                    count bigint NOT NULL,
                    PRIMARY KEY (service, minute, version, agent_id, name, category)
                ) PARTITION BY RANGE (minute)
                """,
                "CREATE TABLE error_rollups_default PARTITION OF error_rollups DEFAULT",
                """
                CREATE TABLE sample_rollups (
                    service text NOT NULL,
                    minute bigint NOT NULL,
                    version text NOT NULL,
                    agent_id text NOT NULL,
                    metric text NOT NULL,
                    count bigint NOT NULL,
                    sum double precision NOT NULL,
                    min double precision NOT NULL,
                    max double precision NOT NULL,
                    PRIMARY KEY (service, minute, version, agent_id, metric)
                ) PARTITION BY RANGE (minute)
                """,
                "CREATE INDEX sample_rollups_by_agent ON sample_rollups (agent_id, metric, minute)",
                "CREATE TABLE sample_rollups_default PARTITION OF sample_rollups DEFAULT",
                // The calls each commit stored, for the circuit breakers: one row per commit, read in xid order.
                """
                CREATE TABLE call_batches (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    created_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                    newest_time bigint NOT NULL,
                    calls bytea NOT NULL
                )
                """,
                "CREATE INDEX call_batches_by_xid ON call_batches (created_xid)",
            ]),
        Migration(
            name: "0003-shared-state",
            sql: [
                """
                CREATE TABLE alert_state (
                    fingerprint text PRIMARY KEY,
                    rule text NOT NULL,
                    state text NOT NULL,
                    body text NOT NULL,
                    updated bigint NOT NULL
                )
                """,
                """
                CREATE TABLE decision_state (
                    kind text NOT NULL,
                    key text NOT NULL,
                    body text NOT NULL,
                    updated bigint NOT NULL,
                    PRIMARY KEY (kind, key)
                )
                """,
                // One row per replica: what `/v1/status` lists, and how the others know it is alive.
                """
                CREATE TABLE replicas (
                    hub_id text PRIMARY KEY,
                    listen text NOT NULL,
                    admin text NOT NULL,
                    started bigint NOT NULL,
                    last_beat bigint NOT NULL,
                    leader boolean NOT NULL DEFAULT false
                )
                """,
            ]),
        Migration(
            name: "0004-evaluation-results",
            sql: [
                // The leader's last evaluation results (JSON), so every replica answers with the same content.
                """
                CREATE TABLE evaluation_results (
                    kind text PRIMARY KEY,
                    body text NOT NULL,
                    updated bigint NOT NULL
                )
                """
            ]),
        Migration(
            name: "0005-hourly-rollups",
            sql: [
                // The minute cells merged per hour (`minute` = the hour's first minute), written by the same
                // commits: a 30-day verdict reads 720 cells per host and event name, not 43,200.
                """
                CREATE TABLE event_rollups_hourly (LIKE event_rollups INCLUDING DEFAULTS,
                    PRIMARY KEY (service, minute, version, agent_id, name)) PARTITION BY RANGE (minute)
                """,
                "CREATE TABLE event_rollups_hourly_default PARTITION OF event_rollups_hourly DEFAULT",
                """
                CREATE TABLE sample_rollups_hourly (LIKE sample_rollups INCLUDING DEFAULTS,
                    PRIMARY KEY (service, minute, version, agent_id, metric)) PARTITION BY RANGE (minute)
                """,
                "CREATE TABLE sample_rollups_hourly_default PARTITION OF sample_rollups_hourly DEFAULT",
                """
                INSERT INTO sample_rollups_hourly (service, minute, version, agent_id, metric, count, sum, min, max)
                SELECT service, minute - ((minute % 60) + 60) % 60, version, agent_id, metric, sum(count), sum(sum),
                       min(min), max(max)
                FROM sample_rollups GROUP BY 1, 2, 3, 4, 5
                """,
            ],
            backfill: { connection, logger in try await PostgresRollups.backfillHourlyEvents(connection, logger: logger)
            }
        ),
        Migration(
            name: "0006-refusals",
            sql: [
                // Records refused by authorization (DESIGN §8), per agent and reason, counted by the commit that
                // acknowledged them, so the counts are exact across restarts and replicas.
                """
                CREATE TABLE refusals (
                    agent_id text NOT NULL,
                    reason text NOT NULL,
                    records bigint NOT NULL,
                    last_service text NOT NULL,
                    updated bigint NOT NULL,
                    PRIMARY KEY (agent_id, reason)
                )
                """
            ]),
    ]

    /// Applies pending migrations on `connection` under the migration lock; returns the names it applied.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        do {
            let applied = try await run(connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            return applied
        } catch {
            // The lock is the session's: unlock before the connection goes back to the pool.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            throw error
        }
    }

    /// The migrations recorded as applied, in order.
    static func applied(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let exists = try await connection.query(
            "SELECT to_regclass('vigil_migrations') IS NOT NULL", logger: logger
        ).collect()
        guard try exists.first?.decode(Bool.self) == true else { return [] }
        var names: [String] = []
        for try await name in try await connection.query(
            "SELECT name FROM vigil_migrations ORDER BY name", logger: logger
        ).decode(String.self) {
            names.append(name)
        }
        return names
    }

    private static func run(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS vigil_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL)",
            logger: logger)
        let done = Set(try await applied(connection, logger: logger))
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.name) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await migration.backfill?(connection, logger)
                try await connection.query(
                    "INSERT INTO vigil_migrations (name, applied_at) VALUES (\(migration.name), now())", logger: logger)
            }
            applied.append(migration.name)
        }
        return applied
    }
}
