import VigilAnalytics
import VigilConfiguration

/// Runs a ``RuleTestFile`` against loaded rules, the way promtool does: rules are evaluated at 0,
/// `evaluation_interval`, 2·`evaluation_interval`, …; at each input step an input series has the sample of
/// the latest interval at or before that time (absent when it is `_` or past the end). A check at
/// `eval_time` sees the state after the latest evaluation at or before it, and compares the rule's firing,
/// uninhibited alerts (labels without `alertname`, and annotations) with the expected ones, order ignored.
/// Pure: no clock, no I/O.
public enum RuleTestRunner {
    /// The outcome of one test group.
    public struct GroupResult: Sendable, Hashable {
        /// The group's name.
        public var name: String
        /// Checks run.
        public var checks: Int
        /// One text block per failed check (a diff of expected and got).
        public var failures: [String]
    }

    /// Runs every group; `repeatInterval` does not change which alerts fire and is irrelevant here.
    public static func run(_ file: RuleTestFile, rules: [AlertRule]) -> [GroupResult] {
        file.groups.map { run($0, rules: rules, evaluationInterval: file.evaluationInterval) }
    }

    static func run(_ group: RuleTestFile.Group, rules: [AlertRule], evaluationInterval: Duration) -> GroupResult {
        var evaluator = AlertEvaluator(rules: rules)
        let names = Set(rules.map(\.name))
        var failures: [String] = []
        let checks = group.checks.enumerated().sorted {
            ($0.element.evalTime, $0.offset) < ($1.element.evalTime, $1.offset)
        }
        .map(\.element)
        var next = 0
        var step: Int64 = 0
        let stepNanos = evaluationInterval.totalNanoseconds
        while next < checks.count {
            let time = step * stepNanos
            _ = evaluator.evaluate(series(group, atNanos: time), at: Instant(nanosecondsSinceEpoch: time))
            let nextTime = time + stepNanos
            while next < checks.count, checks[next].evalTime.totalNanoseconds < nextTime {
                let check = checks[next]
                next += 1
                guard names.contains(check.alertname) else {
                    failures.append("\(check.keyPath): no rule named \(check.alertname) in rule_files")
                    continue
                }
                let got = evaluator.currentAlerts.filter {
                    $0.rule == check.alertname && $0.state == .firing && !$0.inhibited
                }.map { alert in
                    var labels = alert.labels
                    labels["alertname"] = nil
                    return RuleTestFile.ExpectedAlert(labels: labels, annotations: alert.annotations)
                }
                if let diff = difference(expected: check.expected, got: got) {
                    failures.append(
                        "\(check.keyPath): at \(ConfigurationValue.render(check.evalTime)), alertname \(check.alertname):\n"
                            + diff)
                }
            }
            step += 1
        }
        return GroupResult(name: group.name, checks: checks.count, failures: failures)
    }

    /// The input series present at `nanos` after the start.
    static func series(_ group: RuleTestFile.Group, atNanos nanos: Int64) -> [SeriesValue] {
        let index = Int(nanos / max(1, group.interval.totalNanoseconds))
        return group.inputSeries.compactMap { input in
            guard index < input.samples.count, let value = input.samples[index] else { return nil }
            return SeriesValue(name: input.name, labels: input.labels, value: value)
        }
    }

    /// `nil` when the two multisets are equal; otherwise lines marked `-` (expected, missing) and `+`
    /// (got, unexpected), with matching alerts unmarked.
    static func difference(
        expected: [RuleTestFile.ExpectedAlert], got: [RuleTestFile.ExpectedAlert]
    ) -> String? {
        var missing = expected.sorted()
        var unexpected: [RuleTestFile.ExpectedAlert] = []
        var matched: [RuleTestFile.ExpectedAlert] = []
        for alert in got.sorted() {
            if let index = missing.firstIndex(of: alert) {
                missing.remove(at: index)
                matched.append(alert)
            } else {
                unexpected.append(alert)
            }
        }
        guard !missing.isEmpty || !unexpected.isEmpty else { return nil }
        var lines = ["  expected \(expected.count) firing, got \(got.count)"]
        lines += missing.map { "  - expected, not firing: \($0)" }
        lines += unexpected.map { "  + firing, not expected: \($0)" }
        lines += matched.map { "    as expected:          \($0)" }
        return lines.joined(separator: "\n")
    }
}
