import Foundation

/// What the store keeps from an accepted `Hello`.
public struct AgentHello: Sendable, Hashable {
    /// The authenticated agent id.
    public var agentID: String
    /// The stream's 16-byte id.
    public var streamID: Data
    /// The agent's host name as it reported it.
    public var hostname: String
    /// The agent's software version.
    public var agentVersion: String
    /// The agent's labels (service, version, env, …).
    public var labels: [String: String]

    /// Creates a hello record.
    public init(agentID: String, streamID: Data, hostname: String, agentVersion: String, labels: [String: String]) {
        self.agentID = agentID
        self.streamID = streamID
        self.hostname = hostname
        self.agentVersion = agentVersion
        self.labels = labels
    }
}
