import Foundation
import VigilAnalytics

/// The body of `GET /v1/alerts`: every tracked alert (pending, firing, recently resolved) with its
/// labels, annotations, value and the instants of its life. Keys are snake_case; times RFC 3339.
public struct AlertsReport: Sendable, Hashable, Codable {
    /// One alert.
    public struct Alert: Sendable, Hashable, Codable {
        /// The rule's name.
        public var rule: String
        /// `warning` or `critical`.
        public var severity: String
        /// `pending`, `firing` or `resolved`.
        public var state: String
        /// True for a firing warning muted by the firing critical of the same rule and labels.
        public var inhibited: Bool
        /// Identifying labels.
        public var labels: [String: String]
        /// Rendered annotations.
        public var annotations: [String: String]
        /// The last value seen while the condition held.
        public var value: Double
        /// The threshold.
        public var threshold: Double
        /// When the condition started holding.
        public var activeAt: String
        /// When it started firing.
        public var firedAt: String?
        /// When it resolved.
        public var resolvedAt: String?
        /// When a notification for it last went out.
        public var lastSentAt: String?

        /// The report entry for `alert`.
        public init(_ alert: ActiveAlert) {
            rule = alert.rule
            severity = alert.severity.rawValue
            state = alert.state.rawValue
            inhibited = alert.inhibited
            labels = alert.labels
            annotations = alert.annotations
            value = alert.value
            threshold = alert.threshold
            activeAt = WebhookPayload.rfc3339(alert.activeAt)
            firedAt = alert.firedAt.map(WebhookPayload.rfc3339)
            resolvedAt = alert.resolvedAt.map(WebhookPayload.rfc3339)
            lastSentAt = alert.lastSentAt.map(WebhookPayload.rfc3339)
        }

        enum CodingKeys: String, CodingKey {
            case rule, severity, state, inhibited, labels, annotations, value, threshold
            case activeAt = "active_at"
            case firedAt = "fired_at"
            case resolvedAt = "resolved_at"
            case lastSentAt = "last_sent_at"
        }
    }

    /// Rules loaded.
    public var rules: Int
    /// The alerts passing the filter, firing first, then pending, then resolved; then by rule and labels.
    public var alerts: [Alert]

    /// Builds the report from the manager's alerts.
    public init(rules: Int, alerts: [ActiveAlert]) {
        self.rules = rules
        let order: [AlertState: Int] = [.firing: 0, .pending: 1, .resolved: 2]
        self.alerts = alerts.enumerated().sorted { a, b in
            (order[a.element.state] ?? 3, a.offset) < (order[b.element.state] ?? 3, b.offset)
        }.map { Alert($0.element) }
    }
}
