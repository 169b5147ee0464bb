// AlertSeverity: the two levels a rule can alert at. Critical outranks warning and inhibits the warning
// of the same rule and labels.

/// `warning` or `critical`; the value of an alert's `severity` label.
public enum AlertSeverity: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// The lower level.
    case warning
    /// The higher level; inhibits the warning of the same rule and labels while firing.
    case critical

    /// Warning before critical.
    public static func < (lhs: AlertSeverity, rhs: AlertSeverity) -> Bool {
        lhs == .warning && rhs == .critical
    }
}
