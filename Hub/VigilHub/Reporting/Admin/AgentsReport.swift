/// The body of `GET /v1/agents`.
public struct AgentsReport: Sendable, Hashable, Codable {
    /// One agent.
    public struct Agent: Sendable, Hashable, Codable {
        /// The agent id (its certificate name).
        public var id: String
        /// Its host name.
        public var hostname: String
        /// Its software version.
        public var agentVersion: String
        /// Its labels (service, version, …).
        public var labels: [String: String]
        /// Whether it is connected now.
        public var connected: Bool
        /// When the hub last heard from it, RFC 3339 UTC.
        public var lastSeen: String
        /// The same as Unix nanoseconds.
        public var lastSeenUnixNano: Int64
        /// Seconds between now and the newest record it sent; null before its first record.
        public var lagSeconds: Double?
        /// Records stored from it.
        public var records: UInt64
        /// Duplicates of its records skipped.
        public var duplicates: UInt64
        /// Gaps in its streams.
        public var gaps: UInt64
        /// Streams it has had (a new one per wiped agent database).
        public var streams: UInt64
        /// Its records refused because it may not speak for their service.
        public var refused: UInt64 = 0
        /// The same by reason (`certificate`, `policy`); reasons with none left out.
        public var refusedByReason: [String: UInt64] = [:]
        /// The service of its last refused record, if any.
        public var lastRefusedService: String?
        /// Records it still held after its last batch, as it said in that batch; null when it is not connected to
        /// this hub (the hub it ships to knows it).
        public var backlogRecords: UInt64?

        enum CodingKeys: String, CodingKey {
            case id, hostname, labels, connected, records, duplicates, gaps, streams, refused
            case refusedByReason = "refused_by_reason"
            case lastRefusedService = "last_refused_service"
            case backlogRecords = "backlog_records"
            case agentVersion = "agent_version"
            case lastSeen = "last_seen"
            case lastSeenUnixNano = "last_seen_unix_nano"
            case lagSeconds = "lag_seconds"
        }
    }

    /// The agents, by id.
    public var agents: [Agent]
}

/// The body of a 4xx answer: what is wrong, and with which query parameter.
public struct AdminErrorBody: Sendable, Hashable, Codable, Error {
    /// What is wrong, in words a user can act on.
    public var error: String
    /// The offending query parameter, if one.
    public var parameter: String?

    /// Creates a body.
    public init(error: String, parameter: String? = nil) {
        self.error = error
        self.parameter = parameter
    }
}
