// SeriesBuilder: the series of issue #5 part 9, computed each evaluation from the recent rollups (pure).
//
// - event_rate (calls/s), error_rate, latency_p50|p95|p99_ms: per (service, version, host), per (service,
//   version) and per service, over the recent span; a series without calls is left out (no value, not 0).
// - cpu_utilization, memory_utilization, disk_utilization, queue_depth: per (service, version, host) the mean
//   of the host's samples in the span; per (service, version) and per service the mean over hosts.
// - nps: per (service, version) from the version report (the judge window, since feedback is sparse).
// - agent_up (1 connected, 0 not) and ingest_lag_seconds (now − newest record): per agent, labelled with the
//   agent's service and version labels and host = agent id.

/// Builds the series of one evaluation.
public enum SeriesBuilder {
    static let resourceSeries: [(metric: String, name: SeriesName)] = [
        ("cpu.utilization", .cpuUtilization), ("memory.utilization", .memoryUtilization),
        ("disk.utilization", .diskUtilization), ("queue.depth", .queueDepth),
    ]

    /// The call and resource series of one service over a span of `seconds`.
    public static func service(
        _ service: String, events: [EventRollupRow], samples: [SampleRollupRow], seconds: Double,
        report: VersionsReport?
    ) -> [SeriesValue] {
        var out: [SeriesValue] = []
        var byHost: [[String: String]: EventCell] = [:]
        for row in events where row.key.name != MinuteRollup.feedbackName {
            for labels in [
                ["service": service, "version": row.key.version, "host": row.key.host],
                ["service": service, "version": row.key.version], ["service": service],
            ] {
                byHost[labels, default: EventCell()].merge(row.cell)
            }
        }
        for (labels, cell) in byHost where cell.count > 0 {
            out.append(SeriesValue(name: .eventRate, labels: labels, value: Double(cell.count) / max(1, seconds)))
            out.append(SeriesValue(name: .errorRate, labels: labels, value: Double(cell.errors) / Double(cell.count)))
            for (name, q) in [
                (SeriesName.latencyP50, 0.5), (SeriesName.latencyP95, 0.95), (SeriesName.latencyP99, 0.99),
            ] {
                if let value = cell.sketch.quantile(q) {
                    out.append(SeriesValue(name: name, labels: labels, value: value))
                }
            }
        }
        for (metric, name) in resourceSeries {
            var perHost: [[String: String]: SampleCell] = [:]
            for row in samples where row.key.metric == metric {
                perHost[["service": service, "version": row.key.version, "host": row.key.host], default: SampleCell()]
                    .merge(row.cell)
            }
            var versionMeans: [[String: String]: [Double]] = [:]
            for (labels, cell) in perHost {
                guard let mean = cell.average else { continue }
                out.append(SeriesValue(name: name, labels: labels, value: mean))
                versionMeans[["service": service, "version": labels["version"] ?? ""], default: []].append(mean)
                versionMeans[["service": service], default: []].append(mean)
            }
            for (labels, means) in versionMeans {
                out.append(SeriesValue(name: name, labels: labels, value: means.reduce(0, +) / Double(means.count)))
            }
        }
        if let report {
            var promoters: Int64 = 0
            var detractors: Int64 = 0
            var responses: Int64 = 0
            for version in report.versions {
                if let score = version.nps.score {
                    out.append(
                        SeriesValue(name: .nps, labels: ["service": service, "version": version.version], value: score))
                }
                promoters += version.nps.promoters
                detractors += version.nps.detractors
                responses += version.nps.responses
            }
            if responses > 0 {
                out.append(
                    SeriesValue(
                        name: .nps, labels: ["service": service],
                        value: 100 * Double(promoters - detractors) / Double(responses)))
            }
        }
        return out
    }

    /// What the agent series need about one agent.
    public struct Agent: Sendable, Hashable {
        /// The agent id (the `host` label).
        public var agentID: String
        /// Labels from its last `Hello`.
        public var labels: [String: String]
        /// Whether a connection from it is open.
        public var connected: Bool
        /// The newest record time it sent (Unix ns), if it sent any.
        public var newestRecordUnixNano: Int64?

        /// Creates an agent.
        public init(agentID: String, labels: [String: String], connected: Bool, newestRecordUnixNano: Int64?) {
            self.agentID = agentID
            self.labels = labels
            self.connected = connected
            self.newestRecordUnixNano = newestRecordUnixNano
        }
    }

    /// agent_up and ingest_lag_seconds for every agent at `nowUnixNano`.
    public static func agents(_ agents: [Agent], nowUnixNano: Int64) -> [SeriesValue] {
        var out: [SeriesValue] = []
        for agent in agents {
            var labels = ["host": agent.agentID]
            if let service = agent.labels["service"] { labels["service"] = service }
            if let version = agent.labels["version"] { labels["version"] = version }
            out.append(SeriesValue(name: .agentUp, labels: labels, value: agent.connected ? 1 : 0))
            if let newest = agent.newestRecordUnixNano {
                out.append(
                    SeriesValue(
                        name: .ingestLagSeconds, labels: labels, value: max(0, Double(nowUnixNano - newest) / 1e9)))
            }
        }
        return out
    }
}
