/// The judge's verdict on one canary version against the baseline, with its evidence.
public struct Verdict: Sendable, Hashable, CustomStringConvertible {
    /// The decision.
    public var decision: VerdictDecision
    /// The weighted score 0–100 over the judged metrics (`nil` when none was judged).
    public var score: Double?
    /// Per group: metrics that passed and metrics judged.
    public var groupResults: [MetricGroup: (passed: Int, judged: Int)] {
        var results: [MetricGroup: (passed: Int, judged: Int)] = [:]
        for metric in evidence where metric.classification.isJudged {
            let previous = results[metric.group] ?? (0, 0)
            results[metric.group] = (previous.passed + (metric.classification == .high ? 0 : 1), previous.judged + 1)
        }
        return results
    }
    /// Per-metric evidence, in the order the metrics were given.
    public var evidence: [MetricEvidence]
    /// Why, in one sentence with the numbers.
    public var reason: String

    /// "<DECISION>: <reason>".
    public var description: String { "\(decision.rawValue): \(reason)" }
}
