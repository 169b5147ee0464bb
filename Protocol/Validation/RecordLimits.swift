/// Bounds on the content of one `Event` or `Sample`. A record outside them is rejected before it is
/// stored, with a ``ValidationError`` naming the field.
public struct RecordLimits: Sendable, Hashable {
    /// Longest `service`, `version`, `name`, `metric` or `error_category`, in UTF-8 bytes. Default 256.
    public var maxNameBytes: Int = 256
    /// Most entries in `labels` or `attributes`. Default 64.
    public var maxMapEntries: Int = 64
    /// Longest label or attribute key, in UTF-8 bytes. Default 128.
    public var maxKeyBytes: Int = 128
    /// Longest label or attribute value, in UTF-8 bytes. Default 1024.
    public var maxValueBytes: Int = 1024
    /// Largest `duration_ms` accepted: 30 days. Default 2,592,000,000.
    public var maxDurationMs: Double = 30 * 24 * 3600 * 1000

    /// The defaults above.
    public init() {}
}
