/// What to do with a canary version.
public enum VerdictDecision: String, Sendable, Hashable {
    /// Score ≥ 95 and no critical failure.
    case promote = "PROMOTE"
    /// Score ≥ 75 and no critical failure.
    case hold = "HOLD"
    /// Score < 75, or a critical metric failed.
    case rollback = "ROLLBACK"
    /// A metric had too few values to judge, or none could be judged.
    case inconclusive = "INCONCLUSIVE"
}
