import VigilConfiguration

/// The agent's settings, as written in `agent.yaml` (DESIGN §9).
///
/// Every key is optional except `agent_id`, `endpoints` and `tls`; each field documents its default.
/// Load a file with ``load(path:)`` or text with ``load(yaml:source:)``: unknown keys, missing
/// required keys and out-of-range values are reported as a ``ConfigurationError`` naming the key path.
public struct AgentConfiguration: Sendable, Equatable {
    /// `agent_id`: this agent's identity, which must match its client certificate (CN or a DNS SAN).
    /// Required; matches `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`.
    public var agentID: String
    /// `labels`: sent in `Hello`; `service` and `version` are also put on every sample and default
    /// missing fields of ingested events. Default: none. At most 64; keys ≤ 128 bytes, values ≤ 256 bytes.
    public var labels: [String: String]
    /// `endpoints`: the hubs to ship to, as `host:port` (IPv6 as `[::1]:7443`). Required, non-empty.
    public var endpoints: [Endpoint]
    /// `tls`: the files for mutual TLS. Required.
    public var tls: TLSFiles
    /// `ingest`: the local socket applications write to (DESIGN §3).
    public var ingest: Ingest
    /// `buffer`: the local SQLite buffer (DESIGN §7).
    public var buffer: Buffer
    /// `sampling`: what the host sampler reads and how often (DESIGN §4).
    public var sampling: Sampling
    /// `shipping`: batching, concurrency and retry towards the hub.
    public var shipping: Shipping
    /// `shutdown`: how long to drain on SIGTERM.
    public var shutdown: Shutdown

    /// Creates a configuration with the required values and every other section at its defaults.
    public init(
        agentID: String,
        endpoints: [Endpoint],
        tls: TLSFiles,
        labels: [String: String] = [:],
        ingest: Ingest = Ingest(),
        buffer: Buffer = Buffer(),
        sampling: Sampling = Sampling(),
        shipping: Shipping = Shipping(),
        shutdown: Shutdown = Shutdown()
    ) {
        self.agentID = agentID
        self.labels = labels
        self.endpoints = endpoints
        self.tls = tls
        self.ingest = ingest
        self.buffer = buffer
        self.sampling = sampling
        self.shipping = shipping
        self.shutdown = shutdown
    }

    /// One hub address from `endpoints`: `host:port`, with an IPv6 literal in brackets (`[::1]:7443`).
    public typealias Endpoint = HostPort

    /// The keys allowed at the top level of `agent.yaml`.
    static let topLevelKeys = [
        "agent_id", "labels", "endpoints", "tls", "ingest", "buffer", "sampling", "shipping", "shutdown",
    ]

    /// Most entries in `labels`, and the longest key and value in UTF-8 bytes.
    static let maxLabels = 64
    static let maxLabelKeyBytes = 128
    static let maxLabelValueBytes = 256
}
