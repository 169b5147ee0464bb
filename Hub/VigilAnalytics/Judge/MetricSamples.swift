/// One metric's per-(host, minute) values for the canary version and the baseline.
public struct MetricSamples: Sendable, Hashable {
    /// The metric's name as shown in evidence, e.g. "latency.p99".
    public var name: String
    /// The group it scores in.
    public var group: MetricGroup
    /// Whether a large enough increase fails the verdict outright (error rate and p99 latency).
    public var isCritical: Bool
    /// The ratio of means (canary / baseline) a statistically higher canary may reach and still pass.
    public var allowedIncrease: Double
    /// The canary's values.
    public var canary: [Double]
    /// The baseline's values.
    public var baseline: [Double]

    /// Creates samples.
    public init(
        name: String, group: MetricGroup, isCritical: Bool, allowedIncrease: Double, canary: [Double],
        baseline: [Double]
    ) {
        self.name = name
        self.group = group
        self.isCritical = isCritical
        self.allowedIncrease = allowedIncrease
        self.canary = canary
        self.baseline = baseline
    }

    /// Error rate: group errors, critical, allowed increase 1.1.
    public static func errorRate(canary: [Double], baseline: [Double]) -> MetricSamples {
        MetricSamples(
            name: "error_rate", group: .errors, isCritical: true, allowedIncrease: 1.1, canary: canary,
            baseline: baseline)
    }

    /// A latency percentile ("p50", "p95", "p99"): group latency, allowed increase 1.1, critical for p99.
    public static func latency(_ percentile: String, canary: [Double], baseline: [Double]) -> MetricSamples {
        MetricSamples(
            name: "latency.\(percentile)", group: .latency, isCritical: percentile == "p99", allowedIncrease: 1.1,
            canary: canary, baseline: baseline)
    }

    /// A resource ("cpu", "memory"): group resources, allowed increase 1.2.
    public static func resource(_ name: String, canary: [Double], baseline: [Double]) -> MetricSamples {
        MetricSamples(
            name: name, group: .resources, isCritical: false, allowedIncrease: 1.2, canary: canary,
            baseline: baseline)
    }

    /// Queue depth: group saturation, allowed increase 1.2.
    public static func queueDepth(canary: [Double], baseline: [Double]) -> MetricSamples {
        MetricSamples(
            name: "queue_depth", group: .saturation, isCritical: false, allowedIncrease: 1.2, canary: canary,
            baseline: baseline)
    }
}
