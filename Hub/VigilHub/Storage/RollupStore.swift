import VigilAnalytics

// RollupStore: what the rollup job and the decision engine need from the hub's database (DESIGN §7). Both
// stores fold each commit's new rows into rollup cells with CommitFold (Analysis/Rollups/) in the commit's
// transaction; the pure cells, keys and rows are MinuteRollup's (VigilAnalytics).
//
// Invariants every implementation keeps:
// - Every stored record is in the rollups exactly once. SQLiteEventStore, with one writer, keeps a watermark
//   over rowids: `rollUp` folds raw rows after it (when commits could not) and writes cells and watermark in
//   one transaction, so a crash before commit leaves both as they were. PostgresEventStore has several
//   writers, for which such a watermark is unsafe: its commits always fold, and `rollUp` has nothing to do.
// - Queries read rollups only, never raw events (except `calls`, which reads the newest calls for the
//   circuit breakers, bounded by its limit).

/// Reads and writes the minute rollups and the same cells merged per hour.
public protocol RollupStore: Sendable {
    /// Rolls up at most `limit` new events and at most `limit` new samples.
    func rollUp(limit: Int) async throws(StoreError) -> RollupProgress
    /// The highest event and sample rowids already rolled up.
    func rollupWatermarks() async throws(StoreError) -> RollupWatermarks
    /// Deletes at most `limit` rollup rows whose minute is before `minute` (hour cells whose whole hour is);
    /// returns how many.
    func deleteRollups(beforeMinute minute: Int64, limit: Int) async throws(StoreError) -> Int
    /// Services with event or sample rollups in `minutes`, sorted.
    func rolledUpServices(minutes: ClosedRange<Int64>) async throws(StoreError) -> [String]
    /// The event rollups of `service` in `minutes`, per minute or per hour (an hour cell is read when its first
    /// minute is in `minutes`).
    func eventRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [EventRollupRow]
    /// The sample rollups of `service` in `minutes`, per minute or per hour.
    func sampleRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [SampleRollupRow]
    /// Error counts of `service` per version and category in two spans of minutes.
    func errorCategories(
        service: String, recent: Range<Int64>, previous: Range<Int64>
    ) async throws(StoreError) -> [ErrorCategoryCount]
    /// Up to `limit` events stored after `rowid` whose time is at or after `sinceUnixNano`.
    func calls(afterRowid rowid: Int64, sinceUnixNano: Int64, limit: Int) async throws(StoreError) -> CallBatch
    /// The rowid of the newest stored event (0 when none).
    func lastEventRowid() async throws(StoreError) -> Int64
}

extension RollupStore {
    /// The minute event rollups of `service` in `minutes`.
    public func eventRollups(service: String, minutes: ClosedRange<Int64>) async throws(StoreError) -> [EventRollupRow]
    {
        try await eventRollups(service: service, minutes: minutes, resolution: .minute)
    }

    /// The minute sample rollups of `service` in `minutes`.
    public func sampleRollups(
        service: String, minutes: ClosedRange<Int64>
    ) async throws(StoreError) -> [SampleRollupRow] {
        try await sampleRollups(service: service, minutes: minutes, resolution: .minute)
    }
}

/// Which rollup cells to read: the minute cells, or the same merged per hour.
public enum RollupResolution: Sendable, Hashable {
    /// One cell per minute.
    case minute
    /// One cell per hour, keyed by the hour's first minute.
    case hour

    /// The event rollup table of this resolution.
    var eventTable: String { self == .minute ? "event_rollups" : "event_rollups_hourly" }
    /// The sample rollup table of this resolution.
    var sampleTable: String { self == .minute ? "sample_rollups" : "sample_rollups_hourly" }

    /// Retention's bound for cells of this resolution: those keyed below it lie wholly before `minute` (an hour
    /// cell goes once its last minute is before the cutoff).
    func expiryBound(before minute: Int64) -> Int64 {
        self == .minute ? minute : minute - (MinuteRollup.hourMinutes - 1)
    }
}

/// What one `rollUp` call did.
public struct RollupProgress: Sendable, Hashable {
    /// Events folded in.
    public var events = 0
    /// Samples folded in.
    public var samples = 0
    /// Rollup rows written (inserted or merged), minute and hour cells.
    public var rowsWritten = 0
    /// Values refused (non-finite or out of the sketch's range); the records still count.
    public var refused = 0
    /// Whether another pass found the same chunk first, so this one wrote nothing.
    public var lostRace = false

    /// Nothing done.
    public init() {}
}

/// The rollup job's position in the raw tables.
public struct RollupWatermarks: Sendable, Hashable {
    /// The highest event rowid rolled up.
    public var events: Int64
    /// The highest sample rowid rolled up.
    public var samples: Int64
}

/// One call (event) as the circuit breakers see it.
public struct CallRecord: Sendable, Hashable {
    /// When it ended.
    public var timeUnixNano: Int64
    /// Its service.
    public var service: String
    /// Its version.
    public var version: String
    /// Its host (agent id).
    public var host: String
    /// Whether it failed.
    public var failed: Bool
    /// Its duration.
    public var durationMs: Double
}

/// Calls read after a rowid, and the rowid to continue from.
public struct CallBatch: Sendable {
    /// The calls, in insertion order.
    public var calls: [CallRecord]
    /// The highest rowid read (the argument when nothing was read).
    public var lastRowid: Int64
    /// Rows read, including those skipped as too old.
    public var rowsRead: Int
}
