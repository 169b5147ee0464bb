// SeriesValue: the contract between the hub's evaluation loop, which computes series from rollups and samples,
// and the consumers that read them (alert rules, the APIs). One evaluation produces the complete current set.

/// The names of the series the hub computes (DESIGN §5, issue #5 part 9).
public enum SeriesName: String, Sendable, Hashable, CaseIterable, Codable {
    case eventRate = "event_rate"
    case errorRate = "error_rate"
    case latencyP50 = "latency_p50_ms"
    case latencyP95 = "latency_p95_ms"
    case latencyP99 = "latency_p99_ms"
    case cpuUtilization = "cpu_utilization"
    case memoryUtilization = "memory_utilization"
    case diskUtilization = "disk_utilization"
    case queueDepth = "queue_depth"
    case agentUp = "agent_up"
    case ingestLagSeconds = "ingest_lag_seconds"
    case nps
}

/// One series' value at one evaluation instant.
///
/// `labels` identify the series within its name: `service`, `version` and `host` (the agent id) for per-host
/// series; a series aggregated over hosts omits `host`, one aggregated over versions omits `version`.
public struct SeriesValue: Sendable, Hashable, Codable {
    /// What is measured.
    public var name: SeriesName
    /// Which service, version and host it is measured for.
    public var labels: [String: String]
    /// The value; finite.
    public var value: Double

    /// Creates a series value.
    public init(name: SeriesName, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}
