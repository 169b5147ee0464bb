// VersionsReport: the body of `GET /v1/versions?service=S` (DESIGN §5 "Versions", issue #5 parts 10 and 12).
// Encoded with snake_case keys (see AdminServer+Decisions); every figure the verdict used is in it.

/// How each version of one service compares, with the canary verdicts and their evidence.
public struct VersionsReport: Sendable, Codable {
    /// The service.
    public var service: String
    /// The window the figures cover, in seconds.
    public var windowSeconds: Double
    /// When the report was computed (RFC 3339).
    public var generatedAt: String
    /// The first and last Unix minute the window covers.
    public var fromMinute: Int64
    /// The last Unix minute the window covers.
    public var toMinute: Int64
    /// The baseline version: the pinned one (even when it had no calls in the window, which makes every
    /// verdict INCONCLUSIVE), else the one with most events; `nil` when unpinned and the service had no
    /// events in the window.
    public var baseline: String?
    /// Whether the baseline was pinned by `judge.baseline` rather than chosen by traffic.
    public var baselinePinned: Bool
    /// The span of one judge point: 60 (a host's minute) for windows up to a day, 3600 (a host's hour) for
    /// longer ones, which are read from the hourly rollups and start at a whole hour. `nil` in reports stored
    /// before the field existed.
    public var pointSeconds: Double?
    /// Every version seen in the window, most events first.
    public var versions: [Version]

    /// One version's figures.
    public struct Version: Sendable, Codable {
        /// The version string.
        public var version: String
        /// Whether it is the baseline.
        public var isBaseline: Bool
        /// Events (calls, i.e. every event but `feedback`) in the window.
        public var events: Int64
        /// Its share of the service's events, 0–1.
        public var eventShare: Double
        /// Hosts (agent ids) that reported it.
        public var hosts: [String]
        /// Its share of the service's hosts, 0–1.
        public var hostShare: Double
        /// Events per second over the window.
        public var eventRate: Double
        /// errors / events (`nil` without events).
        public var errorRate: Double?
        /// Latency percentiles over the window, from the merged sketches.
        public var latencyMs: Latency
        /// Mean CPU utilization of its hosts (`nil` without samples).
        public var cpuUtilization: Double?
        /// Mean memory utilization of its hosts.
        public var memoryUtilization: Double?
        /// Mean queue depth of its hosts.
        public var queueDepth: Double?
        /// Net promoter score from `feedback` events.
        public var nps: NPS
        /// Error categories: share of errors in the last 24 h and the trend against the 24 h before.
        public var errorCategories: [ErrorCategory]
        /// The verdict against the baseline (`nil` for the baseline itself).
        public var verdict: VerdictReport?
    }

    /// Latency percentiles in milliseconds.
    public struct Latency: Sendable, Codable {
        /// Median.
        public var p50: Double?
        /// 95th percentile.
        public var p95: Double?
        /// 99th percentile.
        public var p99: Double?
    }

    /// A net promoter score.
    public struct NPS: Sendable, Codable {
        /// 100 × (promoters − detractors) / responses; `nil` without responses.
        public var score: Double?
        /// `feedback` events with a score 0–10.
        public var responses: Int64
        /// Scores ≥ 9.
        public var promoters: Int64
        /// Scores ≤ 6.
        public var detractors: Int64
    }

    /// One error category of one version.
    public struct ErrorCategory: Sendable, Codable {
        /// The category ("unspecified" when the events gave none).
        public var category: String
        /// Errors in the last 24 h.
        public var last24h: Int64
        /// Its share of the version's errors in the last 24 h, 0–1.
        public var share: Double
        /// Errors in the 24 h before.
        public var previous24h: Int64
        /// `new`, `gone`, `up`, `down` or `flat` (within ±10 %).
        public var trend: String
        /// last24h / previous24h (`nil` when the previous count is 0).
        public var change: Double?
    }
}

/// A verdict as the API shows it.
public struct VerdictReport: Sendable, Codable {
    /// PROMOTE, HOLD, ROLLBACK or INCONCLUSIVE.
    public var decision: String
    /// The score 0–100 (`nil` when nothing was judged).
    public var score: Double?
    /// Why, with the numbers.
    public var reason: String
    /// The baseline it was judged against.
    public var baseline: String
    /// Per metric: values, medians, shift, interval, classification.
    public var evidence: [Evidence]

    /// One metric's evidence.
    public struct Evidence: Sendable, Codable {
        /// The metric, e.g. `latency.p99`.
        public var metric: String
        /// Its group: errors, latency, resources or saturation.
        public var group: String
        /// Whether it is critical.
        public var critical: Bool
        /// Per-(host, minute) values of the canary (per host-hour when `point_seconds` is 3600).
        public var canaryN: Int
        /// Per-(host, minute) values of the baseline (per host-hour when `point_seconds` is 3600).
        public var baselineN: Int
        /// Median of the canary's values.
        public var canaryMedian: Double?
        /// Median of the baseline's values.
        public var baselineMedian: Double?
        /// mean(canary) / mean(baseline).
        public var meanRatio: Double?
        /// Hodges–Lehmann shift (canary − baseline).
        public var shift: Double?
        /// Lower end of the shift's confidence interval.
        public var ciLower: Double?
        /// Upper end of the shift's confidence interval.
        public var ciUpper: Double?
        /// The interval's confidence level.
        public var confidenceLevel: Double?
        /// Mann–Whitney two-sided p-value.
        public var pValue: Double?
        /// pass, high, low, insufficient_data or no_data.
        public var classification: String
        /// Whether this metric alone failed the verdict.
        public var criticalFailure: Bool
        /// The rule that decided, with its numbers.
        public var reason: String
    }
}
