import Foundation
import Testing

@testable import VigilAnalytics

/// Drives an evaluator at instants given in seconds, like a fake clock.
struct AlertHarness {
    var evaluator: AlertEvaluator
    var sent: [(second: Int64, notification: AlertNotification)] = []

    init(_ rules: [AlertRule], repeatInterval: Duration = .seconds(3600), restoring: [ActiveAlert] = []) {
        evaluator = AlertEvaluator(rules: rules, repeatInterval: repeatInterval, restoring: restoring)
    }

    /// Evaluates at `second` with the given (labels, value) series of `name`.
    @discardableResult
    mutating func at(
        _ second: Int64, _ name: SeriesName = .errorRate, _ values: [([String: String], Double)]
    )
        -> [AlertNotification]
    {
        let series = values.map { SeriesValue(name: name, labels: $0.0, value: $0.1) }
        let out = evaluator.evaluate(series, at: .seconds(second))
        sent += out.map { (second, $0) }
        return out
    }

    @discardableResult
    mutating func at(_ second: Int64, value: Double?) -> [AlertNotification] {
        at(second, .errorRate, value.map { [(["service": "checkout"], $0)] } ?? [])
    }

    func states(_ severity: AlertSeverity = .warning) -> [AlertState] {
        evaluator.currentAlerts.filter { $0.severity == severity }.map(\.state)
    }
}

func rule(
    _ name: String = "HighErrorRate", selector: String = "error_rate", _ comparison: AlertComparison = .greater,
    warning: Double? = 0.1, critical: Double? = nil, for forDuration: Duration = .zero,
    keepFiringFor: Duration = .zero, annotations: [String: String] = [:]
) throws -> AlertRule {
    try AlertRule(
        name: name, selector: try SeriesSelector.parse(selector), comparison: comparison, warning: warning,
        critical: critical, forDuration: forDuration, keepFiringFor: keepFiringFor, labels: ["team": "payments"],
        annotations: try annotations.mapValues { text throws(AlertRuleError) in try AlertTemplate(text) })
}

@Suite("Alert evaluator state machine")
struct AlertEvaluatorTests {
    @Test("an alert with for 30s is pending until 30 s have passed, then fires and is sent once")
    func pendingThenFiring() throws {
        var h = AlertHarness([try rule(for: .seconds(30))])
        #expect(h.at(0, value: 0.5).isEmpty)
        #expect(h.states() == [.pending])
        #expect(h.at(10, value: 0.5).isEmpty)
        #expect(h.at(20, value: 0.5).isEmpty)
        #expect(h.at(29, value: 0.5).isEmpty)
        #expect(h.states() == [.pending])
        let fired = h.at(30, value: 0.5)
        #expect(fired.map(\.status) == [.firing])
        #expect(fired.first?.startsAt == .seconds(0))
        #expect(
            fired.first?.labels == [
                "alertname": "HighErrorRate", "severity": "warning", "service": "checkout",
                "team": "payments",
            ])
        #expect(h.states() == [.firing])
        #expect(h.evaluator.currentAlerts.first?.firedAt == .seconds(30))
        #expect(h.at(40, value: 0.5).isEmpty)
    }

    @Test("for 0 fires at the first evaluation the condition holds")
    func forZero() throws {
        var h = AlertHarness([try rule()])
        #expect(h.at(0, value: 0.05).isEmpty)
        #expect(h.evaluator.currentAlerts.isEmpty)
        #expect(h.at(10, value: 0.2).map(\.status) == [.firing])
    }

    @Test("a pending alert is deleted on the first false evaluation and its clock restarts")
    func pendingResets() throws {
        var h = AlertHarness([try rule(for: .seconds(30))])
        h.at(0, value: 0.5)
        h.at(20, value: 0.5)
        #expect(h.at(25, value: 0.01).isEmpty)
        #expect(h.evaluator.currentAlerts.isEmpty)
        h.at(30, value: 0.5)
        #expect(h.evaluator.currentAlerts.first?.activeAt == .seconds(30))
        #expect(h.at(50, value: 0.5).isEmpty)
        #expect(h.at(60, value: 0.5).map(\.status) == [.firing])
        #expect(h.sent.count == 1)
    }

    @Test("a vanished series counts as false: pending is deleted without a notification")
    func vanishedSeries() throws {
        var h = AlertHarness([try rule(for: .seconds(30))])
        h.at(0, value: 0.5)
        #expect(h.at(10, value: nil).isEmpty)
        #expect(h.evaluator.currentAlerts.isEmpty)
    }

    @Test("a firing alert resolves at the first false evaluation, is sent resolved once, and is kept 15 minutes")
    func resolves() throws {
        var h = AlertHarness([try rule()])
        h.at(0, value: 0.5)
        let resolved = h.at(10, value: 0.0)
        #expect(resolved.map(\.status) == [.resolved])
        #expect(resolved.first?.endsAt == .seconds(10))
        #expect(resolved.first?.value == 0.5)
        #expect(h.states() == [.resolved])
        #expect(h.at(20, value: 0.0).isEmpty)
        #expect(h.at(10 + 900, value: 0.0).isEmpty)
        #expect(h.states() == [.resolved])
        h.at(10 + 901, value: 0.0)
        #expect(h.evaluator.currentAlerts.isEmpty)
    }

    @Test("a resolved alert whose condition holds again starts a new pending episode")
    func refiresAfterResolve() throws {
        var h = AlertHarness([try rule(for: .seconds(20))])
        h.at(0, value: 0.5)
        h.at(20, value: 0.5)
        h.at(30, value: 0.0)
        h.at(40, value: 0.5)
        #expect(h.states() == [.pending])
        #expect(h.evaluator.currentAlerts.first?.activeAt == .seconds(40))
        #expect(h.at(60, value: 0.5).map(\.status) == [.firing])
        #expect(h.sent.map(\.notification.status) == [.firing, .resolved, .firing])
    }

    @Test("keep_firing_for holds a firing alert after its condition stops, and a true evaluation resets it")
    func keepFiring() throws {
        var h = AlertHarness([try rule(keepFiringFor: .seconds(30))])
        h.at(0, value: 0.5)
        #expect(h.at(10, value: 0.0).isEmpty)
        #expect(h.states() == [.firing])
        #expect(h.evaluator.currentAlerts.first?.keepFiringSince == .seconds(10))
        h.at(20, value: 0.5)
        #expect(h.evaluator.currentAlerts.first?.keepFiringSince == nil)
        h.at(30, value: 0.0)
        #expect(h.at(59, value: 0.0).isEmpty)
        #expect(h.states() == [.firing])
        let resolved = h.at(60, value: 0.0)
        #expect(resolved.map(\.status) == [.resolved])
        #expect(resolved.first?.endsAt == .seconds(60))
    }

    @Test("keep_firing_for does not keep a pending alert")
    func keepFiringNotPending() throws {
        var h = AlertHarness([try rule(for: .seconds(30), keepFiringFor: .seconds(60))])
        h.at(0, value: 0.5)
        h.at(10, value: 0.0)
        #expect(h.evaluator.currentAlerts.isEmpty)
    }

    @Test("a still-firing alert is sent again only after the repeat interval")
    func repeatInterval() throws {
        var h = AlertHarness([try rule()], repeatInterval: .seconds(60))
        h.at(0, value: 0.5)
        for second in stride(from: Int64(10), through: 50, by: 10) { #expect(h.at(second, value: 0.5).isEmpty) }
        #expect(h.at(60, value: 0.7).map(\.status) == [.firing])
        #expect(h.sent.last?.notification.value == 0.7)
        #expect(h.at(110, value: 0.5).isEmpty)
        #expect(h.at(120, value: 0.5).count == 1)
    }

    @Test("critical inhibits the warning of the same rule and labels while it fires, not other labels")
    func inhibition() throws {
        var h = AlertHarness([try rule(warning: 0.1, critical: 0.3)])
        let a = ["service": "a"]
        let b = ["service": "b"]
        let first = h.at(0, .errorRate, [(a, 0.5), (b, 0.2)])
        #expect(first.map { "\($0.labels["service"]!) \($0.severity)" } == ["a critical", "b warning"])
        let warningA = try #require(
            h.evaluator.currentAlerts.first { $0.labels["service"] == "a" && $0.severity == .warning })
        #expect(warningA.state == .firing)
        #expect(warningA.inhibited)
        // Critical resolves; the warning stays firing, is no longer inhibited and is sent now (never sent before).
        let second = h.at(10, .errorRate, [(a, 0.2), (b, 0.2)])
        #expect(second.map { "\($0.status) \($0.severity)" }.sorted() == ["firing warning", "resolved critical"])
        // The inhibited warning resolving later is sent resolved because its firing was sent.
        let third = h.at(20, .errorRate, [(b, 0.2)])
        #expect(third.map { "\($0.status) \($0.severity) \($0.labels["service"]!)" } == ["resolved warning a"])
    }

    @Test("an inhibited warning that resolves before it was ever sent sends nothing")
    func inhibitedNeverSent() throws {
        var h = AlertHarness([try rule(warning: 0.1, critical: 0.3)])
        h.at(0, value: 0.5)
        let out = h.at(10, value: 0.0)
        #expect(out.map(\.severity) == [.critical])
        #expect(h.sent.allSatisfy { $0.notification.severity == .critical })
    }

    @Test("pending critical does not inhibit a firing warning")
    func pendingCriticalDoesNotInhibit() throws {
        var h = AlertHarness([try rule(warning: 0.1, critical: 0.3, for: .seconds(20))])
        h.at(0, value: 0.2)
        h.at(20, value: 0.2)
        h.at(30, value: 0.5)
        let warning = try #require(h.evaluator.currentAlerts.first { $0.severity == .warning })
        #expect(!warning.inhibited)
        #expect(h.states(.critical) == [.pending])
        h.at(50, value: 0.5)
        #expect(h.states(.critical) == [.firing])
        #expect(h.evaluator.currentAlerts.first { $0.severity == .warning }?.inhibited == true)
    }

    @Test("less-than rules alert below the thresholds")
    func lessThan() throws {
        var h = AlertHarness([try rule("AgentDown", selector: "agent_up", .less, warning: nil, critical: 1)])
        #expect(h.at(0, .agentUp, [(["host": "web-01"], 1)]).isEmpty)
        #expect(h.at(10, .agentUp, [(["host": "web-01"], 0)]).map(\.severity) == [.critical])
    }

    @Test("annotations are rendered from labels, value and threshold at each true evaluation")
    func annotations() throws {
        let r = try rule(annotations: [
            "summary":
                "{{ $labels.service }} errors at {{ $value }} > {{ $threshold }} ({{ $severity }}){{ $labels.none }}"
        ])
        var h = AlertHarness([r])
        let out = h.at(0, value: 0.25)
        #expect(out.first?.annotations["summary"] == "checkout errors at 0.25 > 0.1 (warning)")
        h.at(10, value: 2)
        #expect(h.evaluator.currentAlerts.first?.annotations["summary"] == "checkout errors at 2 > 0.1 (warning)")
        #expect(out.first?.text.contains("[FIRING] HighErrorRate warning service=checkout team=payments") == true)
    }

    @Test("selectors pick series by name and all four matcher kinds")
    func selectors() throws {
        let selector = try SeriesSelector.parse(
            #"error_rate{service="checkout", version!="1.0", env=~"prod|stage", host!~"canary-.*"}"#)
        func pick(_ name: SeriesName, _ labels: [String: String]) -> Bool {
            selector.matches(SeriesValue(name: name, labels: labels, value: 1))
        }
        let base = ["service": "checkout", "version": "2.0", "env": "prod", "host": "web-01"]
        #expect(pick(.errorRate, base))
        #expect(!pick(.eventRate, base))
        #expect(!pick(.errorRate, base.merging(["service": "cart"]) { $1 }))
        #expect(!pick(.errorRate, base.merging(["version": "1.0"]) { $1 }))
        #expect(!pick(.errorRate, base.merging(["env": "production"]) { $1 }))
        #expect(!pick(.errorRate, base.merging(["host": "canary-1"]) { $1 }))
        #expect(pick(.errorRate, base.merging(["host": "xcanary-1"]) { $1 }))
        #expect(selector.description.hasPrefix(#"error_rate{service="checkout", version!="1.0""#))
    }

    @Test("bad selectors, templates and rules are errors that quote what was written")
    func errors() throws {
        #expect(throws: AlertRuleError.self) { try SeriesSelector.parse("errors_rate") }
        #expect(throws: AlertRuleError.self) { try SeriesSelector.parse(#"error_rate{service="a""#) }
        #expect(throws: AlertRuleError.self) { try SeriesSelector.parse(#"error_rate{service~"a"}"#) }
        #expect(throws: AlertRuleError.self) { try SeriesSelector.parse(#"error_rate{service=~"("}"#) }
        #expect(throws: AlertRuleError.self) { try AlertTemplate("{{ $vaule }}") }
        #expect(throws: AlertRuleError.self) { try AlertTemplate("{{ $value ") }
        #expect(throws: AlertRuleError.self) { try rule(warning: nil, critical: nil) }
        #expect(throws: AlertRuleError.self) { try rule(warning: 0.5, critical: 0.1) }
        #expect(throws: AlertRuleError.self) { try rule("Low", .less, warning: 0.1, critical: 0.5) }
        do {
            _ = try SeriesSelector.parse("errors_rate")
        } catch {
            #expect(error.detail.contains("\"errors_rate\""))
        }
    }

    @Test("restoring saved state resumes firing without re-sending before the repeat interval")
    func restore() throws {
        let r = try rule(for: .seconds(30))
        var h = AlertHarness([r], repeatInterval: .seconds(3600))
        h.at(0, value: 0.5)
        #expect(h.at(30, value: 0.5).count == 1)
        let saved = try JSONDecoder().decode(
            [ActiveAlert].self, from: try JSONEncoder().encode(h.evaluator.currentAlerts))
        var resumed = AlertHarness([r], repeatInterval: .seconds(3600), restoring: saved)
        #expect(resumed.evaluator.currentAlerts == h.evaluator.currentAlerts)
        #expect(resumed.at(40, value: 0.5).isEmpty)
        #expect(resumed.states() == [.firing])
        #expect(resumed.at(3630, value: 0.5).count == 1)
        // A rule that is gone drops its alerts.
        let other = AlertEvaluator(rules: [try rule("Other")], restoring: saved)
        #expect(other.currentAlerts.isEmpty)
    }
}
