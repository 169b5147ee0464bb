import GRDB
import VigilProtocol

/// Totals the buffer keeps since its database was created, saved in the same transactions as the
/// records they count, so they survive restarts.
public struct BufferCounters: Sendable, Hashable, Codable {
    /// Records stored.
    public var accepted: UInt64 = 0
    /// Records deleted after the hub acknowledged them.
    public var shipped: UInt64 = 0
    /// Records deleted unshipped by `drop_oldest` at the cap.
    public var dropped: UInt64 = 0
    /// Records refused at the cap (`reject_new`, or a record larger than the whole cap).
    public var rejectedFull: UInt64 = 0
    /// Records refused because the write failed (disk full, I/O error). Kept in memory only: the
    /// failure is usually why it could not be saved.
    public var writeFailures: UInt64 = 0
    /// Times a damaged database was moved aside and a fresh one started.
    public var corruptRecoveries: UInt64 = 0

    /// Zero counters.
    public init() {}

    static var persisted: [(String, WritableKeyPath<BufferCounters, UInt64>)] {
        [
            ("accepted", \.accepted), ("shipped", \.shipped), ("dropped", \.dropped),
            ("rejected_full", \.rejectedFull), ("corrupt_recoveries", \.corruptRecoveries),
        ]
    }

    func save(_ db: Database) throws {
        let statement = try db.cachedStatement(
            sql:
                "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
        for (name, path) in Self.persisted {
            try statement.execute(arguments: [name, Int64(bitPattern: self[keyPath: path])])
        }
    }

    static func load(_ db: Database) throws -> BufferCounters {
        var counters = BufferCounters()
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counters") {
            let name: String = row[0]
            let value: Int64 = row[1]
            if let path = persisted.first(where: { $0.0 == name })?.1 {
                counters[keyPath: path] = UInt64(bitPattern: value)
            }
        }
        return counters
    }
}

/// Sizes and counters of the buffer at one moment.
public struct BufferStats: Sendable, Hashable, Codable {
    /// Records stored and not yet acknowledged (the backlog).
    public var records: Int
    /// Bytes those records are charged (payload plus per-row overhead).
    public var bytes: Int
    /// The seq the next stored record will get.
    public var nextSeq: UInt64
    /// The cap on `bytes`.
    public var maxBytes: Int
    /// Totals since the database was created.
    public var counters: BufferCounters
}

/// What happened to one submission's records in a group commit.
public struct AppendOutcome: Sendable, Hashable {
    /// A record that was not stored, by its index in the submission.
    public struct Rejection: Sendable, Hashable {
        /// Index in the submitted array.
        public var index: Int
        /// Why, in words a client can act on.
        public var reason: String
    }

    /// How many records were stored.
    public var stored = 0
    /// The seq of the first stored record (meaningful when `stored > 0`).
    public var firstSeq: UInt64 = 0
    /// Records refused, in index order.
    public var rejections: [Rejection] = []
}

/// A batch frame read from the buffer, ready to write to the hub.
public struct ShippableBatch: Sendable {
    /// The frame, assembled from stored bytes.
    public var frame: BatchFrameBuilder
    /// The seq of its last record.
    public var lastSeq: UInt64
    /// The seq of its first record.
    public var firstSeq: UInt64 { frame.firstSeq }
    /// Records in it.
    public var recordCount: Int { frame.recordCount }
}
