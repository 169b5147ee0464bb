/// A filter over the merged, time-ordered view of events and samples. Every filter is optional; set
/// ones must all match.
public struct RecordQuery: Sendable, Hashable {
    /// Which kinds of record to return.
    public enum Kinds: Sendable, Hashable {
        /// Events and samples.
        case all
        /// Events only.
        case events
        /// Samples only.
        case samples
    }

    /// The service: an event's `service`; for a sample, its `service` label or else the sending agent's.
    public var service: String?
    /// The version, matched like `service`.
    public var version: String?
    /// The agent that sent the record.
    public var agentID: String?
    /// An event's `name` or a sample's `metric`.
    public var name: String?
    /// Records at or after this time (Unix ns).
    public var fromUnixNano: Int64?
    /// Records before this time (Unix ns).
    public var toUnixNano: Int64?
    /// Which kinds to return. Default both.
    public var kinds = Kinds.all
    /// Most records returned, oldest first. Default 10000.
    public var limit = 10_000

    /// A query matching everything (up to `limit`).
    public init(
        service: String? = nil, version: String? = nil, agentID: String? = nil, name: String? = nil,
        fromUnixNano: Int64? = nil, toUnixNano: Int64? = nil, kinds: Kinds = .all, limit: Int = 10_000
    ) {
        self.service = service
        self.version = version
        self.agentID = agentID
        self.name = name
        self.fromUnixNano = fromUnixNano
        self.toUnixNano = toUnixNano
        self.kinds = kinds
        self.limit = limit
    }
}
