// ActiveAlert: one alert instance (a rule, a severity and one series' labels) as the evaluator tracks it,
// with every instant Prometheus keeps (active, fired, resolved, keep-firing-since, last sent). Codable so
// the hub can persist it and resume after a restart exactly where it stopped.

/// Where an alert is in its life: pending → firing → resolved.
public enum AlertState: String, Sendable, Hashable, Codable, CaseIterable {
    /// The condition holds but has not held for `for` yet. Never notified.
    case pending
    /// The condition has held for `for` (or stopped holding less than `keep_firing_for` ago).
    case firing
    /// It was firing and no longer is; kept for a while so the resolution is reported and visible.
    case resolved
}

/// One alert instance.
public struct ActiveAlert: Sendable, Hashable, Codable {
    /// The rule's name.
    public var rule: String
    /// Which threshold it is about.
    public var severity: AlertSeverity
    /// Its identifying labels: the series labels, the rule's labels, `alertname` and `severity`.
    public var labels: [String: String]
    /// Annotations rendered at the last evaluation the condition held.
    public var annotations: [String: String]
    /// The series value at the last evaluation the condition held.
    public var value: Double
    /// The threshold it is compared with.
    public var threshold: Double
    /// The state.
    public var state: AlertState
    /// When the condition started holding (Prometheus's ActiveAt; a notification's `startsAt`).
    public var activeAt: Instant
    /// When it started firing.
    public var firedAt: Instant?
    /// When it resolved.
    public var resolvedAt: Instant?
    /// When its condition stopped holding while firing, if it is being kept firing by `keep_firing_for`.
    public var keepFiringSince: Instant?
    /// When a notification for it was last handed out.
    public var lastSentAt: Instant?
    /// Whether a firing notification went out for the current episode (so a resolution must follow).
    public var notifiedFiring: Bool
    /// Whether a firing critical alert of the same rule and labels mutes it (warnings only).
    public var inhibited: Bool

    /// The identity of the alert: rule name and sorted labels (which include the severity).
    public var fingerprint: String {
        Self.fingerprint(labels)
    }

    /// The labels other than `severity`: what a critical and its warning share.
    var inhibitionKey: String {
        var shared = labels
        shared["severity"] = nil
        return Self.fingerprint(shared)
    }

    static func fingerprint(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
    }

    enum CodingKeys: String, CodingKey {
        case rule, severity, labels, annotations, value, threshold, state, inhibited
        case activeAt = "active_at"
        case firedAt = "fired_at"
        case resolvedAt = "resolved_at"
        case keepFiringSince = "keep_firing_since"
        case lastSentAt = "last_sent_at"
        case notifiedFiring = "notified_firing"
    }
}
