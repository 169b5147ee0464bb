import Foundation
import VigilAnalytics

/// A rule unit-test file, read like promtool's `test rules` format (keys as in promtool):
///
/// ```yaml
/// rule_files: [rules.yaml]          # relative to this file
/// evaluation_interval: 10s          # how often rules are evaluated (default 10s)
/// tests:
///   - name: error rate pages        # optional
///     interval: 10s                 # spacing of input samples (default evaluation_interval)
///     input_series:
///       - series: 'error_rate{service="checkout", version="2.0"}'
///         values: '0 0 0.3x20'      # promtool notation, see SeriesValuesNotation
///     alert_rule_test:
///       - eval_time: 1m
///         alertname: HighErrorRate
///         exp_alerts:               # the firing, uninhibited alerts of that rule; [] for none
///           - exp_labels: { severity: critical, service: checkout, version: "2.0" }
///             exp_annotations: { summary: "..." }
/// ```
public struct RuleTestFile: Sendable {
    /// One input series: a name, labels and one sample per `interval` from time 0 (`nil` = absent).
    public struct InputSeries: Sendable, Hashable {
        /// The series.
        public var name: SeriesName
        /// Its labels.
        public var labels: [String: String]
        /// Its samples.
        public var samples: [Double?]
    }

    /// An alert expected to fire: its labels (without `alertname`) and annotations.
    public struct ExpectedAlert: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Labels other than `alertname`, `severity` included.
        public var labels: [String: String]
        /// Rendered annotations.
        public var annotations: [String: String]

        /// Orders alerts by their printed form.
        public static func < (lhs: ExpectedAlert, rhs: ExpectedAlert) -> Bool { lhs.description < rhs.description }

        /// `labels={a="1", b="2"} annotations={summary="..."}`.
        public var description: String {
            func render(_ map: [String: String]) -> String {
                "{"
                    + map.sorted { $0.key < $1.key }.map { "\($0.key)=\(SeriesSelector.quote($0.value))" }
                    .joined(separator: ", ") + "}"
            }
            return "labels=\(render(labels)) annotations=\(render(annotations))"
        }
    }

    /// One check: the firing alerts of one rule at one time.
    public struct AlertCheck: Sendable, Hashable {
        /// Time since the start of the test.
        public var evalTime: Duration
        /// The rule checked.
        public var alertname: String
        /// The alerts expected.
        public var expected: [ExpectedAlert]
        /// Where it is in the file, e.g. `tests[0].alert_rule_test[1]`.
        public var keyPath: String
    }

    /// One test group: input series and checks.
    public struct Group: Sendable, Hashable {
        /// The group's name (or `tests[i]`).
        public var name: String
        /// Spacing of input samples.
        public var interval: Duration
        /// The input series.
        public var inputSeries: [InputSeries]
        /// The checks, in file order.
        public var checks: [AlertCheck]
    }

    /// The test file's path.
    public var path: String
    /// Rule files, resolved against the test file's directory.
    public var ruleFiles: [String]
    /// How often rules are evaluated.
    public var evaluationInterval: Duration
    /// The test groups.
    public var groups: [Group]
}
