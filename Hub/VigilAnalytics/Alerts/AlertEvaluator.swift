// AlertEvaluator: the alert state machine of DESIGN §5, with Prometheus's semantics (rules/alerting.go),
// as a pure value: the caller passes each evaluation's complete series set and the instant; the evaluator
// returns the notifications to send. Per alert instance (rule, severity, labels):
//
// - inactive → pending at the first evaluation the condition holds (`activeAt` = that instant);
// - pending → firing at the first evaluation with now − activeAt ≥ `for` (same evaluation when for = 0);
// - pending whose condition stops holding is deleted: it never fired, so nothing is sent;
// - firing whose condition stops holding keeps firing until `keep_firing_for` has passed since it first
//   stopped (a true evaluation in between resets that), then resolves (`resolvedAt` = that instant);
// - a resolved alert is kept `resolvedRetention` for display, then deleted; if its condition holds again
//   a new pending alert replaces it;
// - a firing warning is inhibited while the critical of the same rule and labels fires;
// - notifications: a firing, uninhibited alert is sent when never sent this episode, or `repeatInterval`
//   after the last send; a resolved alert is sent once, and only if its firing was sent.

/// Evaluates rules over series and tracks every alert instance.
public struct AlertEvaluator: Sendable {
    /// The rules, names unique.
    public let rules: [AlertRule]
    /// How long after the last notification a still-firing alert is sent again.
    public let repeatInterval: Duration
    /// How long a resolved alert is kept (Prometheus: 15 minutes).
    public let resolvedRetention: Duration
    /// Every tracked alert by fingerprint.
    public private(set) var alerts: [String: ActiveAlert] = [:]

    /// Creates an evaluator, resuming `restoring` (a saved ``currentAlerts``). Saved alerts whose rule or
    /// threshold no longer exists are dropped; the others take the rule's current threshold.
    public init(
        rules: [AlertRule],
        repeatInterval: Duration = .seconds(4 * 3600),
        resolvedRetention: Duration = .seconds(15 * 60),
        restoring: [ActiveAlert] = []
    ) {
        self.rules = rules
        self.repeatInterval = repeatInterval
        self.resolvedRetention = resolvedRetention
        let byName = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for var alert in restoring {
            guard let threshold = byName[alert.rule]?.threshold(for: alert.severity) else { continue }
            alert.threshold = threshold
            alerts[alert.fingerprint] = alert
        }
    }

    /// Every tracked alert (pending, firing, recently resolved), ordered by rule, then labels.
    public var currentAlerts: [ActiveAlert] {
        alerts.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Runs one evaluation at `now` over the complete current `series` and returns what to send.
    public mutating func evaluate(_ series: [SeriesValue], at now: Instant) -> [AlertNotification] {
        for rule in rules {
            evaluate(rule, series, at: now)
        }
        applyInhibition()
        return notifications(at: now)
    }

    private mutating func evaluate(_ rule: AlertRule, _ series: [SeriesValue], at now: Instant) {
        var holding = Set<String>()
        for value in series where value.value.isFinite && rule.selector.matches(value) {
            for (severity, threshold) in rule.thresholds where rule.comparison.holds(value.value, threshold) {
                let labels = rule.alertLabels(for: value, severity: severity)
                let annotations = rule.renderAnnotations(labels: labels, value: value.value, severity: severity)
                let key = ActiveAlert.fingerprint(labels)
                holding.insert(key)
                if var alert = alerts[key], alert.state != .resolved {
                    alert.value = value.value
                    alert.annotations = annotations
                    alerts[key] = alert
                } else {
                    alerts[key] = ActiveAlert(
                        rule: rule.name, severity: severity, labels: labels, annotations: annotations,
                        value: value.value, threshold: threshold, state: .pending, activeAt: now, firedAt: nil,
                        resolvedAt: nil, keepFiringSince: nil, lastSentAt: nil, notifiedFiring: false,
                        inhibited: false)
                }
            }
        }
        for (key, var alert) in alerts where alert.rule == rule.name {
            if holding.contains(key) {
                alert.keepFiringSince = nil
                if alert.state == .pending, now - alert.activeAt >= rule.forDuration {
                    alert.state = .firing
                    alert.firedAt = now
                }
                alerts[key] = alert
                continue
            }
            switch alert.state {
            case .pending:
                alerts[key] = nil
            case .firing:
                if rule.keepFiringFor > .zero {
                    let since = alert.keepFiringSince ?? now
                    alert.keepFiringSince = since
                    if now - since < rule.keepFiringFor {
                        alerts[key] = alert
                        continue
                    }
                }
                alert.state = .resolved
                alert.resolvedAt = now
                alert.keepFiringSince = nil
                alert.inhibited = false
                alerts[key] = alert
            case .resolved:
                if let resolvedAt = alert.resolvedAt, now - resolvedAt > resolvedRetention {
                    alerts[key] = nil
                }
            }
        }
    }

    /// Marks each firing warning inhibited exactly when the critical of the same rule and labels fires.
    private mutating func applyInhibition() {
        let firingCritical = Set(
            alerts.values.filter { $0.severity == .critical && $0.state == .firing }.map(\.inhibitionKey))
        for (key, alert) in alerts where alert.severity == .warning {
            let inhibited = alert.state == .firing && firingCritical.contains(alert.inhibitionKey)
            if alert.inhibited != inhibited { alerts[key]?.inhibited = inhibited }
        }
    }

    private mutating func notifications(at now: Instant) -> [AlertNotification] {
        var out: [AlertNotification] = []
        for key in alerts.keys.sorted() {
            guard var alert = alerts[key] else { continue }
            switch alert.state {
            case .pending:
                continue
            case .firing:
                guard !alert.inhibited else { continue }
                if alert.notifiedFiring, let last = alert.lastSentAt, now - last < repeatInterval { continue }
                out.append(AlertNotification(.firing, alert: alert, at: now))
                alert.notifiedFiring = true
            case .resolved:
                guard alert.notifiedFiring else { continue }
                out.append(AlertNotification(.resolved, alert: alert, at: now))
                alert.notifiedFiring = false
            }
            alert.lastSentAt = now
            alerts[key] = alert
        }
        return out
    }
}
