/// The outcome of one run of the peer-outlier rule.
public struct PeerOutlierReport: Sendable, Hashable {
    /// Hosts recommended for ejection, lowest success rate first; at most `maxEjections`.
    public var ejections: [EjectionRecommendation]
    /// Outliers not recommended because `maxEjections` was reached, lowest success rate first.
    public var withheld: [EjectionRecommendation]
    /// Hosts with enough calls to be judged.
    public var qualifyingHosts: Int
    /// The cap on ejections: max(1, ⌊maxEjectionFraction × all hosts⌋).
    public var maxEjections: Int
    /// Mean success rate of the qualifying hosts (`nil` when the rule did not run).
    public var mean: Double?
    /// Population standard deviation of their success rates (`nil` when the rule did not run).
    public var standardDeviation: Double?
    /// The ejection threshold, mean − factor × σ (`nil` when the rule did not run).
    public var threshold: Double?
    /// A sentence saying whether and how the rule ran.
    public var summary: String

    /// Creates a report.
    public init(
        ejections: [EjectionRecommendation], withheld: [EjectionRecommendation], qualifyingHosts: Int,
        maxEjections: Int, mean: Double?, standardDeviation: Double?, threshold: Double?, summary: String
    ) {
        self.ejections = ejections
        self.withheld = withheld
        self.qualifyingHosts = qualifyingHosts
        self.maxEjections = maxEjections
        self.mean = mean
        self.standardDeviation = standardDeviation
        self.threshold = threshold
        self.summary = summary
    }
}
