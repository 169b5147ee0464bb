/// What to do with a canary version.
public enum VerdictDecision: String, Sendable, Hashable {
    /// Score ≥ 95 and no critical failure.
    case promote = "PROMOTE"
    /// Score ≥ 75 and no critical failure.
    case hold = "HOLD"
    /// Score < 75, or a critical metric failed.
    case rollback = "ROLLBACK"
    /// The evidence does not allow a decision: a metric had too few values, a critical metric had no values
    /// on the canary side, half or more of the metrics had no data, none could be judged, or the pinned
    /// baseline had no data.
    case inconclusive = "INCONCLUSIVE"
}
