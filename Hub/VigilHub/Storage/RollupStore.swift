// RollupStore: what the rollup job and the decision engine need from the hub's database, so a PostgreSQL
// store can provide it beside SQLiteEventStore later (DESIGN §7).
//
// Invariants every implementation keeps:
// - `rollUp` reads raw rows after the stored watermark (by insertion order), folds them with MinuteRollup,
//   and writes the merged cells together with the new watermark in one transaction: a crash before commit
//   leaves both as they were, so the next pass redoes exactly that chunk.
// - Queries read rollups only, never raw events (except `calls`, which reads the newest raw events by
//   insertion order for the circuit breakers, bounded by its limit).

/// Reads and writes minute rollups.
public protocol RollupStore: Sendable {
    /// Rolls up at most `limit` new events and at most `limit` new samples.
    func rollUp(limit: Int) async throws(StoreError) -> RollupProgress
    /// The highest event and sample rowids already rolled up.
    func rollupWatermarks() async throws(StoreError) -> RollupWatermarks
    /// Deletes at most `limit` rollup rows whose minute is before `minute`; returns how many.
    func deleteRollups(beforeMinute minute: Int64, limit: Int) async throws(StoreError) -> Int
    /// Services with event or sample rollups in `minutes`, sorted.
    func rolledUpServices(minutes: ClosedRange<Int64>) async throws(StoreError) -> [String]
    /// The event rollups of `service` in `minutes`.
    func eventRollups(service: String, minutes: ClosedRange<Int64>) async throws(StoreError) -> [EventRollupRow]
    /// The sample rollups of `service` in `minutes`.
    func sampleRollups(service: String, minutes: ClosedRange<Int64>) async throws(StoreError) -> [SampleRollupRow]
    /// Error counts of `service` per version and category in two spans of minutes.
    func errorCategories(
        service: String, recent: Range<Int64>, previous: Range<Int64>
    ) async throws(StoreError) -> [ErrorCategoryCount]
    /// Up to `limit` events stored after `rowid` whose time is at or after `sinceUnixNano`.
    func calls(afterRowid rowid: Int64, sinceUnixNano: Int64, limit: Int) async throws(StoreError) -> CallBatch
    /// The rowid of the newest stored event (0 when none).
    func lastEventRowid() async throws(StoreError) -> Int64
}

/// What one `rollUp` call did.
public struct RollupProgress: Sendable, Hashable {
    /// Events folded in.
    public var events = 0
    /// Samples folded in.
    public var samples = 0
    /// Rollup rows written (inserted or merged).
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

/// One stored event rollup.
public struct EventRollupRow: Sendable {
    /// Its key.
    public var key: MinuteRollup.EventKey
    /// Its figures.
    public var cell: EventCell
}

/// One stored sample rollup.
public struct SampleRollupRow: Sendable {
    /// Its key.
    public var key: MinuteRollup.SampleKey
    /// Its figures.
    public var cell: SampleCell
}

/// Errors of one category for one version in two spans.
public struct ErrorCategoryCount: Sendable, Hashable {
    /// The version.
    public var version: String
    /// The category ("" when the events gave none).
    public var category: String
    /// Errors in the recent span.
    public var recent: Int64
    /// Errors in the span before.
    public var previous: Int64
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
