import Foundation

/// One agent as the store knows it: its last `Hello`, connection state and stream totals.
public struct AgentRecord: Sendable, Hashable {
    /// The agent id.
    public var agentID: String
    /// The host name from its last `Hello`.
    public var hostname: String
    /// The agent software version from its last `Hello`.
    public var agentVersion: String
    /// Labels from its last `Hello`.
    public var labels: [String: String]
    /// Whether a connection from it is open.
    public var connected: Bool
    /// When the hub first heard from it (Unix ns).
    public var firstSeenUnixNano: Int64
    /// When the hub last heard from it: a `Hello` or a batch (Unix ns).
    public var lastSeenUnixNano: Int64
    /// The newest record time it sent (Unix ns), if it sent any.
    public var newestRecordUnixNano: Int64?
    /// The stream of its last `Hello`.
    public var streamID: Data?
    /// Events and samples stored, over all its streams.
    public var records: UInt64
    /// Duplicates skipped (both kinds), over all its streams.
    public var duplicates: UInt64
    /// Gaps counted, over all its streams.
    public var gaps: UInt64
    /// Streams seen (one per agent database).
    public var streams: UInt64
    /// Records refused because it may not speak for their service, by reason, over all its streams.
    public var refused: [RefusalReason: UInt64] = [:]
    /// The service of the last record refused, if any was.
    public var lastRefusedService: String?

    /// Creates a record.
    public init(
        agentID: String, hostname: String = "", agentVersion: String = "", labels: [String: String] = [:],
        connected: Bool = false, firstSeenUnixNano: Int64 = 0, lastSeenUnixNano: Int64 = 0,
        newestRecordUnixNano: Int64? = nil, streamID: Data? = nil, records: UInt64 = 0, duplicates: UInt64 = 0,
        gaps: UInt64 = 0, streams: UInt64 = 0
    ) {
        self.agentID = agentID
        self.hostname = hostname
        self.agentVersion = agentVersion
        self.labels = labels
        self.connected = connected
        self.firstSeenUnixNano = firstSeenUnixNano
        self.lastSeenUnixNano = lastSeenUnixNano
        self.newestRecordUnixNano = newestRecordUnixNano
        self.streamID = streamID
        self.records = records
        self.duplicates = duplicates
        self.gaps = gaps
        self.streams = streams
    }

    /// Refused records of every reason.
    public var refusedTotal: UInt64 { refused.values.reduce(0, +) }
}

extension AgentRecord {
    /// Sets ``refused`` and ``lastRefusedService`` from the agent's rows of the `refusals` table (reason, records,
    /// last service, updated); a reason this version does not know is left out.
    mutating func applyRefusals(_ rows: [(reason: String, records: Int64, service: String, updated: Int64)]) {
        var newest: Int64 = .min
        for row in rows {
            guard let reason = RefusalReason(rawValue: row.reason) else { continue }
            refused[reason, default: 0] += UInt64(max(0, row.records))
            if row.updated > newest {
                newest = row.updated
                lastRefusedService = row.service
            }
        }
    }
}
