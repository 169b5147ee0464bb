// RollupRows: minute rollups as a store reads them back, the input of VersionAnalyzer and SeriesBuilder.

/// One stored event rollup.
public struct EventRollupRow: Sendable {
    /// Its key.
    public var key: MinuteRollup.EventKey
    /// Its figures.
    public var cell: EventCell

    /// Creates a row.
    public init(key: MinuteRollup.EventKey, cell: EventCell) {
        self.key = key
        self.cell = cell
    }
}

/// One stored sample rollup.
public struct SampleRollupRow: Sendable {
    /// Its key.
    public var key: MinuteRollup.SampleKey
    /// Its figures.
    public var cell: SampleCell

    /// Creates a row.
    public init(key: MinuteRollup.SampleKey, cell: SampleCell) {
        self.key = key
        self.cell = cell
    }
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

    /// Creates a count.
    public init(version: String, category: String, recent: Int64, previous: Int64) {
        self.version = version
        self.category = category
        self.recent = recent
        self.previous = previous
    }
}
