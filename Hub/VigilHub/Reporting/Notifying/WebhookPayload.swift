import Foundation
import VigilAnalytics

/// The JSON body POSTed to each webhook for one firing or resolved alert. Keys are snake_case like the
/// admin API; `text` is a one-line summary, so a Slack (or Mattermost) incoming webhook shows it as is.
public struct WebhookPayload: Sendable, Hashable, Codable {
    /// `firing` or `resolved`.
    public var status: String
    /// The rule's name.
    public var rule: String
    /// `warning` or `critical`.
    public var severity: String
    /// The alert's labels, `alertname` and `severity` included.
    public var labels: [String: String]
    /// The rendered annotations.
    public var annotations: [String: String]
    /// The last value seen while the condition held.
    public var value: Double
    /// The threshold crossed.
    public var threshold: Double
    /// When the condition started holding (RFC 3339).
    public var startsAt: String
    /// When it resolved (RFC 3339); absent while firing.
    public var endsAt: String?
    /// A one-line human summary (Slack-compatible).
    public var text: String

    /// The payload for `notification`.
    public init(_ notification: AlertNotification) {
        status = notification.status.rawValue
        rule = notification.rule
        severity = notification.severity.rawValue
        labels = notification.labels
        annotations = notification.annotations
        value = notification.value
        threshold = notification.threshold
        startsAt = Self.rfc3339(notification.startsAt)
        endsAt = notification.endsAt.map(Self.rfc3339)
        text = notification.text
    }

    /// The JSON bytes, keys sorted.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    static func rfc3339(_ instant: Instant) -> String {
        Date(timeIntervalSince1970: Double(instant.nanosecondsSinceEpoch) / 1e9).formatted(.iso8601)
    }

    enum CodingKeys: String, CodingKey {
        case status, rule, severity, labels, annotations, value, threshold, text
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }
}
