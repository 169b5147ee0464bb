/// The query parameters of `GET /v1/agents`, parsed and checked. Pure.
public struct AgentsFilter: Sendable, Hashable {
    /// `connected=true|false`: only agents connected (or not).
    public var connected: Bool?
    /// `service=NAME`: only agents whose `service` label is NAME.
    public var service: String?

    /// Matches every agent.
    public init(connected: Bool? = nil, service: String? = nil) {
        self.connected = connected
        self.service = service
    }

    /// Parses `(name, value)` query pairs; an unknown parameter or a bad value is an error naming it.
    public init(parameters: [(String, String)]) throws(AdminErrorBody) {
        for (name, value) in parameters {
            switch name {
            case "connected":
                switch value {
                case "true", "1": connected = true
                case "false", "0": connected = false
                default:
                    throw AdminErrorBody(
                        error: "connected must be true or false, got \"\(value.prefix(64))\"", parameter: name)
                }
            case "service":
                guard !value.isEmpty, value.utf8.count <= 256 else {
                    throw AdminErrorBody(error: "service must be 1 to 256 bytes", parameter: name)
                }
                service = value
            default:
                throw AdminErrorBody(
                    error: "unknown parameter \"\(name.prefix(64))\"; /v1/agents takes connected and service",
                    parameter: String(name.prefix(64)))
            }
        }
    }

    /// Whether `agent` passes the filter.
    public func matches(_ agent: AgentRecord) -> Bool {
        if let connected, agent.connected != connected { return false }
        if let service, agent.labels["service"] != service { return false }
        return true
    }
}
