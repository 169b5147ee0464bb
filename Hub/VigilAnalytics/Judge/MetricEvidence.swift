/// Everything the judge concluded about one metric, with the numbers behind it.
public struct MetricEvidence: Sendable, Hashable {
    /// The metric's name.
    public var name: String
    /// Its score group.
    public var group: MetricGroup
    /// Whether it is critical.
    public var isCritical: Bool
    /// Canary values.
    public var canaryCount: Int
    /// Baseline values.
    public var baselineCount: Int
    /// Median of the canary values (`nil` without values).
    public var canaryMedian: Double?
    /// Median of the baseline values (`nil` without values).
    public var baselineMedian: Double?
    /// mean(canary) / mean(baseline); +∞ when only the baseline mean is 0, 1 when both are.
    public var meanRatio: Double?
    /// The Mann–Whitney test, Hodges–Lehmann shift and interval (`nil` when it was not run).
    public var test: MannWhitneyTest?
    /// The classification.
    public var classification: MetricClassification
    /// Whether this metric alone fails the verdict.
    public var isCriticalFailure: Bool
    /// The rule that decided the classification, with its numbers.
    public var reason: String
}
