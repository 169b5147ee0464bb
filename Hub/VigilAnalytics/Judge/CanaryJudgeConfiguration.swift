/// The judge's thresholds; every default is DESIGN §5's.
public struct CanaryJudgeConfiguration: Sendable, Hashable {
    /// Confidence level of the shift's interval (default 0.98).
    public var confidenceLevel: Double
    /// Kayenta's tolerance: the interval must clear this fraction of |shift| for high or low (default 0.25).
    public var tolerance: Double
    /// The fewest values on each side for a metric to be judged (default 50).
    public var minimumPoints: Int
    /// The mean ratio above which a high critical metric fails the verdict outright (default 2.0).
    public var criticalIncrease: Double
    /// The lowest score that promotes (default 95).
    public var promoteScore: Double
    /// The lowest score that holds rather than rolls back (default 75).
    public var holdScore: Double

    /// Creates a configuration; omitted arguments take the documented defaults.
    public init(
        confidenceLevel: Double = 0.98, tolerance: Double = 0.25, minimumPoints: Int = 50,
        criticalIncrease: Double = 2.0, promoteScore: Double = 95, holdScore: Double = 75
    ) {
        self.confidenceLevel = confidenceLevel
        self.tolerance = tolerance
        self.minimumPoints = minimumPoints
        self.criticalIncrease = criticalIncrease
        self.promoteScore = promoteScore
        self.holdScore = holdScore
    }
}
