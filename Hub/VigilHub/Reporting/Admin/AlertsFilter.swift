import VigilAnalytics

/// The query parameters of `GET /v1/alerts`, parsed and checked. Pure.
public struct AlertsFilter: Sendable, Hashable {
    /// `state=pending|firing|resolved`.
    public var state: AlertState?
    /// `severity=warning|critical`.
    public var severity: AlertSeverity?
    /// `rule=NAME`.
    public var rule: String?

    /// Matches every alert.
    public init(state: AlertState? = nil, severity: AlertSeverity? = nil, rule: String? = nil) {
        self.state = state
        self.severity = severity
        self.rule = rule
    }

    /// Parses `(name, value)` query pairs; an unknown parameter or a bad value is an error naming it.
    public init(parameters: [(String, String)]) throws(AdminErrorBody) {
        for (name, value) in parameters {
            let shown = "\"\(value.prefix(64))\""
            switch name {
            case "state":
                guard let parsed = AlertState(rawValue: value) else {
                    throw AdminErrorBody(
                        error: "state must be pending, firing or resolved, got \(shown)", parameter: name)
                }
                state = parsed
            case "severity":
                guard let parsed = AlertSeverity(rawValue: value) else {
                    throw AdminErrorBody(error: "severity must be warning or critical, got \(shown)", parameter: name)
                }
                severity = parsed
            case "rule":
                guard !value.isEmpty, value.utf8.count <= 128 else {
                    throw AdminErrorBody(error: "rule must be 1 to 128 bytes", parameter: name)
                }
                rule = value
            default:
                throw AdminErrorBody(
                    error: "unknown parameter \"\(name.prefix(64))\"; /v1/alerts takes state, severity and rule",
                    parameter: String(name.prefix(64)))
            }
        }
    }

    /// Whether `alert` passes the filter.
    public func matches(_ alert: ActiveAlert) -> Bool {
        if let state, alert.state != state { return false }
        if let severity, alert.severity != severity { return false }
        if let rule, alert.rule != rule { return false }
        return true
    }
}
