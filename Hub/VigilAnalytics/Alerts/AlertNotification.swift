// AlertNotification: what the evaluator asks the shell to send. A value, so the pure core decides what
// goes out and when, and the notifier only delivers.

/// A firing or resolved alert to send to the webhooks.
public struct AlertNotification: Sendable, Hashable, Codable {
    /// Whether the alert fires or has resolved.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Firing (first time, or again after the repeat interval).
        case firing
        /// Resolved after firing.
        case resolved
    }

    /// Firing or resolved.
    public var status: Status
    /// The rule's name.
    public var rule: String
    /// The severity.
    public var severity: AlertSeverity
    /// The alert's labels (including `alertname` and `severity`).
    public var labels: [String: String]
    /// The rendered annotations.
    public var annotations: [String: String]
    /// The series value last seen while the condition held.
    public var value: Double
    /// The threshold crossed.
    public var threshold: Double
    /// When the condition started holding.
    public var startsAt: Instant
    /// When it resolved; `nil` while firing.
    public var endsAt: Instant?
    /// The evaluation that produced this notification.
    public var sentAt: Instant

    /// Builds the notification for `alert` as of `now`.
    public init(_ status: Status, alert: ActiveAlert, at now: Instant) {
        self.status = status
        rule = alert.rule
        severity = alert.severity
        labels = alert.labels
        annotations = alert.annotations
        value = alert.value
        threshold = alert.threshold
        startsAt = alert.activeAt
        endsAt = status == .resolved ? alert.resolvedAt : nil
        sentAt = now
    }

    /// One line for chat: `[FIRING] HighErrorRate critical service=checkout version=2.0: <summary>`.
    public var text: String {
        var shown = labels
        shown["alertname"] = nil
        shown["severity"] = nil
        let labelText = shown.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var line = "[\(status.rawValue.uppercased())] \(rule) \(severity.rawValue)"
        if !labelText.isEmpty { line += " \(labelText)" }
        line += ": value \(AlertTemplate.number(value)) (threshold \(AlertTemplate.number(threshold)))"
        if let summary = annotations["summary"], !summary.isEmpty { line += " — \(summary)" }
        return line
    }
}
