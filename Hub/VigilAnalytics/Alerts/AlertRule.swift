// AlertRule: one alerting rule (DESIGN §5): a series selector, a comparison, a warning and/or critical
// threshold, `for`, `keep_firing_for`, labels and annotation templates. Each selected series is judged
// once per severity, as if each severity were its own Prometheus rule.
//
// Invariants (checked by init): at least one threshold; both finite; with both, critical is strictly
// stricter than warning in the comparison's direction; `for` and `keep_firing_for` are not negative;
// labels do not set the reserved `alertname` or `severity`.

/// An alerting rule.
public struct AlertRule: Sendable, Hashable {
    /// The rule's name; the `alertname` label of its alerts. Unique among loaded rules.
    public let name: String
    /// Which series it looks at.
    public let selector: SeriesSelector
    /// How values are compared with the thresholds.
    public let comparison: AlertComparison
    /// The warning threshold, if any.
    public let warning: Double?
    /// The critical threshold, if any.
    public let critical: Double?
    /// How long the condition must hold before the alert fires; 0 fires at the first true evaluation.
    public let forDuration: Duration
    /// How long a firing alert keeps firing after its condition stops holding; 0 resolves at once.
    public let keepFiringFor: Duration
    /// Labels added to every alert (they override series labels of the same name).
    public let labels: [String: String]
    /// Annotation templates, rendered at each evaluation the condition holds.
    public let annotations: [String: AlertTemplate]

    /// Labels a rule may not set: the evaluator sets them.
    public static let reservedLabels: Set<String> = ["alertname", "severity"]

    /// Creates a rule, checking the invariants above.
    public init(
        name: String,
        selector: SeriesSelector,
        comparison: AlertComparison = .greater,
        warning: Double? = nil,
        critical: Double? = nil,
        forDuration: Duration = .zero,
        keepFiringFor: Duration = .zero,
        labels: [String: String] = [:],
        annotations: [String: AlertTemplate] = [:]
    ) throws(AlertRuleError) {
        guard Self.isValidName(name) else {
            throw AlertRuleError(
                code: .invalidRule,
                detail: "name \(SeriesSelector.quote(name)) must be 1 to 128 letters, digits, _, . or -, starting "
                    + "with a letter")
        }
        guard warning != nil || critical != nil else {
            throw AlertRuleError(code: .invalidRule, detail: "rule \(name) needs a warning or a critical threshold")
        }
        for threshold in [warning, critical].compactMap(\.self) where !threshold.isFinite {
            throw AlertRuleError(code: .invalidRule, detail: "rule \(name): thresholds must be finite numbers")
        }
        if let warning, let critical, !comparison.isStricter(critical, than: warning) {
            throw AlertRuleError(
                code: .invalidRule,
                detail:
                    "rule \(name): with \(comparison.rawValue), critical (\(AlertTemplate.number(critical))) must be "
                    + "\(comparison == .greater || comparison == .greaterOrEqual ? "above" : "below") warning "
                    + "(\(AlertTemplate.number(warning)))")
        }
        guard forDuration >= .zero, keepFiringFor >= .zero else {
            throw AlertRuleError(code: .invalidRule, detail: "rule \(name): durations must not be negative")
        }
        if let reserved = labels.keys.sorted().first(where: Self.reservedLabels.contains) {
            throw AlertRuleError(
                code: .invalidRule, detail: "rule \(name): label \(reserved) is set by the evaluator and cannot be set")
        }
        self.name = name
        self.selector = selector
        self.comparison = comparison
        self.warning = warning
        self.critical = critical
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
    }

    /// The severities this rule has thresholds for, with the thresholds, warning first.
    public var thresholds: [(severity: AlertSeverity, threshold: Double)] {
        var out: [(AlertSeverity, Double)] = []
        if let warning { out.append((.warning, warning)) }
        if let critical { out.append((.critical, critical)) }
        return out
    }

    /// The threshold for `severity`, if the rule has one.
    public func threshold(for severity: AlertSeverity) -> Double? {
        severity == .warning ? warning : critical
    }

    /// The labels of the alert for `series` at `severity`: series labels, then rule labels, then
    /// `alertname` and `severity`.
    public func alertLabels(for series: SeriesValue, severity: AlertSeverity) -> [String: String] {
        var labels = series.labels
        labels.merge(self.labels) { _, rule in rule }
        labels["alertname"] = name
        labels["severity"] = severity.rawValue
        return labels
    }

    /// The annotations rendered for one alert.
    public func renderAnnotations(labels: [String: String], value: Double, severity: AlertSeverity) -> [String: String]
    {
        let threshold = self.threshold(for: severity) ?? .nan
        return annotations.mapValues {
            $0.render(labels: labels, value: value, threshold: threshold, severity: severity)
        }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 128,
            (first >= "a" && first <= "z") || (first >= "A" && first <= "Z")
        else { return false }
        return name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "."
                || s == "-"
        }
    }
}
