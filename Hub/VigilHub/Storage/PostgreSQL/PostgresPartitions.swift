import Foundation
import Logging
import PostgresNIO
import Synchronization

// PostgresPartitions: one partition per UTC day of `events`, `samples` and the five rollup tables, made
// before the rows that need them, and dropped whole by retention.
//
// Invariants:
// - A day gets its own partition only inside the window [today − `daysBack`, today + `daysAhead`]; rows of
//   other days go to the table's DEFAULT partition (an agent with a wild clock cannot make a table per day it
//   invents). A day that enters the window while the default holds rows of it gets its partition in one
//   transaction that moves those rows over, so no row is ever in two places or none.
// - Making a partition is serialised across replicas by a transaction advisory lock per table and
//   `IF NOT EXISTS`-style checks, and happens in its own short transaction before the commit that needs it:
//   the commit's transaction never holds DDL locks.
// - Retention drops partitions whose whole day is older than the cutoff and deletes old rows from the
//   default partition in bounded statements; it never deletes row by row from a day partition, so raw data
//   is kept up to a day longer than `retention.raw`.
final class PostgresPartitions: Sendable {
    /// A partitioned table and how its partition key maps to days.
    struct Table: Sendable, Hashable {
        /// The table's name (also the prefix of its partitions').
        let name: String
        /// The partition key column.
        let key: String
        /// Key units in a day.
        let unitsPerDay: Int64
        /// For a rollup table, the cells it holds.
        var resolution: RollupResolution = .minute

        static let events = Table(name: "events", key: "time_unix_nano", unitsPerDay: 86_400_000_000_000)
        static let samples = Table(name: "samples", key: "time_unix_nano", unitsPerDay: 86_400_000_000_000)
        static let eventRollups = Table(name: "event_rollups", key: "minute", unitsPerDay: 1440)
        static let errorRollups = Table(name: "error_rollups", key: "minute", unitsPerDay: 1440)
        static let sampleRollups = Table(name: "sample_rollups", key: "minute", unitsPerDay: 1440)
        static let eventRollupsHourly = Table(
            name: RollupResolution.hour.eventTable, key: "minute", unitsPerDay: 1440, resolution: .hour)
        static let sampleRollupsHourly = Table(
            name: RollupResolution.hour.sampleTable, key: "minute", unitsPerDay: 1440, resolution: .hour)
        static let rollups: [Table] = [
            .eventRollups, .errorRollups, .sampleRollups, .eventRollupsHourly, .sampleRollupsHourly,
        ]
        static let all: [Table] = [.events, .samples] + rollups

        /// The day (days since 1970-01-01 UTC) a key falls in.
        func day(of key: Int64) -> Int64 {
            let (quotient, remainder) = key.quotientAndRemainder(dividingBy: unitsPerDay)
            return remainder < 0 ? quotient - 1 : quotient
        }

        /// `events_d20261202`.
        func partition(day: Int64) -> String {
            "\(name)_d\(PostgresPartitions.dayText(day))"
        }

        /// The day a partition of this table stands for, from its name.
        func day(ofPartition partition: String) -> Int64? {
            let prefix = "\(name)_d"
            guard partition.hasPrefix(prefix) else { return nil }
            return PostgresPartitions.day(fromText: String(partition.dropFirst(prefix.count)))
        }
    }

    /// Days before today that get a partition of their own (raw retention plus a margin).
    let daysBack: Int64
    /// Days after today that get one (clock skew and the upkeep's lead).
    let daysAhead: Int64
    private let known = Mutex<Set<String>>([])

    init(daysBack: Int64, daysAhead: Int64 = 2) {
        self.daysBack = daysBack
        self.daysAhead = daysAhead
    }

    /// Makes the partitions `table` needs for rows on `days` (today given by `today`), those not known yet.
    func ensure(
        _ table: Table, days: Set<Int64>, today: Int64, pool: PostgresPool, logger: Logger
    ) async throws {
        let window = (today - daysBack)...(today + daysAhead)
        let wanted = days.filter { window.contains($0) }.map { table.partition(day: $0) }
        let missing = known.withLock { known in wanted.filter { !known.contains($0) } }
        if missing.isEmpty { return }
        for day in days.filter({ window.contains($0) }).sorted() where missing.contains(table.partition(day: day)) {
            try await make(table, day: day, pool: pool, logger: logger)
        }
    }

    /// Makes every partition from today to today + `daysAhead` for each table (the leader's upkeep).
    func makeAhead(today: Int64, pool: PostgresPool, logger: Logger) async throws {
        for table in Table.all {
            try await ensure(
                table, days: Set(today...(today + daysAhead)), today: today, pool: pool, logger: logger)
        }
    }

    /// Makes one day's partition of `table`, moving that day's rows out of the default partition if it has any.
    private func make(_ table: Table, day: Int64, pool: PostgresPool, logger: Logger) async throws {
        let name = table.partition(day: day)
        let from = day * table.unitsPerDay
        let to = from + table.unitsPerDay
        try await pool.withTransaction { connection in
            // One maker per table at a time, across replicas; it waits here, then finds the table made.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.lockKey(table)))", logger: logger)
            let exists = try await connection.query(
                "SELECT to_regclass(\(name)) IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self)
            if exists == true { return }
            // Names and bounds are ours (a table name and integers), never agent text.
            let moving = "vigil_moving_\(table.name)"
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TEMPORARY TABLE \(moving) ON COMMIT DROP AS
                        WITH moved AS (DELETE FROM \(table.name)_default
                                       WHERE \(table.key) >= \(from) AND \(table.key) < \(to) RETURNING *)
                        SELECT * FROM moved
                        """), logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "CREATE TABLE \(name) PARTITION OF \(table.name) FOR VALUES FROM (\(from)) TO (\(to))"),
                logger: logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) SELECT * FROM \(moving)"), logger: logger)
        }
        known.withLock { _ = $0.insert(name) }
    }

    /// Drops every partition of `table` whose day ends at or before `cutoff` (a key value), each in its own
    /// transaction, then deletes at most `limit` rows older than `cutoff` from its default partition; returns
    /// the rows removed.
    func expire(
        _ table: Table, before cutoff: Int64, limit: Int, pool: PostgresPool, logger: Logger
    ) async throws
        -> Int
    {
        var removed = 0
        let partitions = try await self.partitions(of: table, pool: pool, logger: logger)
        for expired in partitions where (expired.day + 1) * table.unitsPerDay <= cutoff {
            removed += try await pool.withTransaction { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey(table)))", logger: logger)
                let exists = try await connection.query(
                    "SELECT to_regclass(\(expired.name)) IS NOT NULL", logger: logger
                ).collect().first?.decode(Bool.self)
                guard exists == true else { return 0 }
                let rows =
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(expired.name)"), logger: logger
                    ).collect().first?.decode(Int64.self) ?? 0
                try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE \(expired.name)"), logger: logger)
                return Int(rows)
            }
            known.withLock { _ = $0.remove(expired.name) }
        }
        let deleted = try await pool.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH gone AS (DELETE FROM \(table.name)_default WHERE ctid IN (
                        SELECT ctid FROM \(table.name)_default WHERE \(table.key) < \(cutoff) LIMIT \(max(0, limit)))
                        RETURNING 1)
                    SELECT count(*) FROM gone
                    """)
        ).first(Int64.self)
        return removed + Int(deleted ?? 0)
    }

    /// The day partitions of `table`, oldest first.
    func partitions(
        of table: Table, pool: PostgresPool, logger: Logger
    ) async throws -> [(name: String, day: Int64)] {
        var found: [(name: String, day: Int64)] = []
        let rows = try await pool.query(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(\(table.name))
            """)
        for name in try rows.decode(String.self) {
            if let day = table.day(ofPartition: name) { found.append((name, day)) }
        }
        return found.sorted { $0.day < $1.day }
    }

    /// Forgets what it knows (after PostgreSQL came back: a restored database may lack partitions).
    func forget() {
        known.withLock { $0.removeAll() }
    }

    private static func lockKey(_ table: Table) -> Int64 {
        // "vigilpt" and the table's index: one key per table.
        0x7669_6769_6C70_7400 | Int64(Table.all.firstIndex(of: table) ?? 0xFF)
    }

    static func dayText(_ day: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(day) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    static func day(fromText text: String) -> Int64? {
        guard text.count == 8, let number = Int(text) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: number / 10_000, month: number / 100 % 100, day: number % 100)
        guard let date = calendar.date(from: components) else { return nil }
        return Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }
}
