/// How a canary metric compares with the baseline.
public enum MetricClassification: String, Sendable, Hashable {
    /// No meaningful difference, or a difference within the allowed effect.
    case pass
    /// Higher, beyond the tolerance and the allowed increase; a failure (every Vigil metric is
    /// higher-is-worse).
    case high
    /// Lower beyond the tolerance: an improvement, scored as a pass.
    case low
    /// Fewer values than the judge's minimum on either side; makes the verdict inconclusive.
    case insufficientData = "insufficient_data"
    /// No values on one side or both; left out of the score. A critical metric without canary values, or
    /// half or more of the metrics without data, make the verdict inconclusive.
    case noData = "no_data"

    /// Whether the metric counts in the score.
    public var isJudged: Bool { self == .pass || self == .high || self == .low }
}
