/// The status document the running agent saves in its database once a second, and that
/// `vigil-agent status` reads beside it.
public struct AgentStatus: Sendable, Codable, Hashable {
    /// The agent id.
    public var agentID: String
    /// The buffer's stream id, hex.
    public var streamID: String
    /// The agent's process id.
    public var pid: Int32
    /// When the agent started (Unix ns).
    public var startedUnixNano: Int64
    /// When this document was written (Unix ns).
    public var updatedUnixNano: Int64
    /// Buffer sizes and counters.
    public var buffer: BufferStats
    /// Ingest counters.
    public var ingest: IngestStats.Snapshot
    /// Shipper counters and connection.
    public var shipper: ShipperStats.Snapshot
    /// Records per second made durable from clients, over the last report interval.
    public var ingestRate: Double
    /// Records per second acknowledged by the hub, over the last report interval.
    public var shipRate: Double
}
