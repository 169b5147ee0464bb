/// Settings of the shipper (agent.yaml `endpoints`, `tls`, `shipping`, `shutdown`).
public struct ShipperOptions: Sendable {
    /// A hub address.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// Host name or IP literal.
        public var host: String
        /// TCP port.
        public var port: Int

        /// Creates an endpoint.
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// This agent's id; must match its certificate.
    public var agentID: String
    /// Labels sent in `Hello` (service, version, env, ...).
    public var labels: [String: String]
    /// Host name sent in `Hello`.
    public var hostname: String
    /// Hubs, tried in order; after a failure the next one is tried.
    public var endpoints: [Endpoint]
    /// Records per batch. Default 1000.
    public var maxBatchRecords: Int = 1000
    /// Bytes per batch frame. Default 1 MiB.
    public var maxBatchBytes: Int = 1 << 20
    /// Unacknowledged batches at once. Default 16.
    public var maxInFlight: Int = 16
    /// First reconnect delay ceiling. Default 100 ms.
    public var backoffBase: Duration = .milliseconds(100)
    /// Largest reconnect delay ceiling. Default 30 s.
    public var backoffCap: Duration = .seconds(30)
    /// Time for TCP + TLS + `Welcome`. Default 10 s.
    public var handshakeTimeout: Duration = .seconds(10)
    /// How long a graceful stop keeps shipping the backlog. Default 5 s.
    public var drainTimeout: Duration = .seconds(5)
    /// How often to look at the TLS files for changes. Default 5 s.
    public var tlsCheckInterval: Duration = .seconds(5)

    /// Creates options with the documented defaults.
    public init(agentID: String, labels: [String: String], hostname: String, endpoints: [Endpoint]) {
        self.agentID = agentID
        self.labels = labels
        self.hostname = hostname
        self.endpoints = endpoints
    }
}
