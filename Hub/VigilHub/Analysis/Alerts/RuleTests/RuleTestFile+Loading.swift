import Foundation
import VigilAnalytics
import VigilConfiguration

extension RuleTestFile {
    /// Reads and checks the test file at `path`; unknown keys are errors naming the key path.
    public static func load(path: String) throws(ConfigurationError) -> RuleTestFile {
        let root = try RuleFile.compose(try RuleFile.readText(path), source: path)
        let map = try root.mapping(allowedKeys: ["rule_files", "evaluation_interval", "tests"])
        let directory = (path as NSString).deletingLastPathComponent
        let ruleFiles = try map.required("rule_files", hint: "the rule files to test, e.g. [rules.yaml]")
            .sequence(expected: "a list of rule file paths").map { node throws(ConfigurationError) in
                let file = try node.nonEmptyString(expected: "a file path")
                return file.hasPrefix("/") || directory.isEmpty ? file : "\(directory)/\(file)"
            }
        let evaluationInterval = try map["evaluation_interval"].map(positiveDuration) ?? .seconds(10)
        var groups: [Group] = []
        for node in try map.required("tests", hint: "a list of test groups").sequence(expected: "a list of test groups")
        {
            groups.append(try group(node, evaluationInterval: evaluationInterval))
        }
        return RuleTestFile(path: path, ruleFiles: ruleFiles, evaluationInterval: evaluationInterval, groups: groups)
    }

    private static func group(
        _ node: ConfigurationNode, evaluationInterval: Duration
    ) throws(ConfigurationError) -> Group {
        let map = try node.mapping(allowedKeys: ["name", "interval", "input_series", "alert_rule_test"])
        let name = try map["name"]?.nonEmptyString(expected: "a test name") ?? node.path
        let interval = try map["interval"].map(positiveDuration) ?? evaluationInterval
        var inputs: [InputSeries] = []
        for seriesNode in try map["input_series"]?.sequence(expected: "a list of input series") ?? [] {
            inputs.append(try inputSeries(seriesNode))
        }
        var checks: [AlertCheck] = []
        for checkNode in try map["alert_rule_test"]?.sequence(expected: "a list of alert checks") ?? [] {
            checks.append(try check(checkNode))
        }
        return Group(name: name, interval: interval, inputSeries: inputs, checks: checks)
    }

    private static func inputSeries(_ node: ConfigurationNode) throws(ConfigurationError) -> InputSeries {
        let map = try node.mapping(allowedKeys: ["series", "values"])
        let seriesNode = try map.required("series", hint: "e.g. 'error_rate{service=\"checkout\"}'")
        let seriesText = try seriesNode.string(expected: "a series")
        let selector = try RuleFile.convert(seriesNode) { () throws(AlertRuleError) in
            try SeriesSelector.parse(seriesText)
        }
        var labels: [String: String] = [:]
        for matcher in selector.matchers {
            guard matcher.op == .equal else {
                throw seriesNode.invalid(expected: "labels written name=\"value\" (an input series has no matchers)")
            }
            labels[matcher.name] = matcher.value
        }
        let valuesNode = try map.required("values", hint: "e.g. '0 0.5x10'")
        let text = try valuesNode.string(expected: "sample values such as '0 0.5x10'")
        switch SeriesValuesNotation.parse(text) {
        case .success(let samples):
            return InputSeries(name: selector.name, labels: labels, samples: samples)
        case .failure(let failure):
            throw ConfigurationError(
                code: .invalidValue, source: node.source, keyPath: valuesNode.path, detail: failure.message,
                line: valuesNode.line)
        }
    }

    private static func check(_ node: ConfigurationNode) throws(ConfigurationError) -> AlertCheck {
        let map = try node.mapping(allowedKeys: ["eval_time", "alertname", "exp_alerts"])
        let evalTime = try compoundDuration(map.required("eval_time", hint: "e.g. 1m or 2m30s"))
        let alertname = try map.required("alertname", hint: "the rule's name").nonEmptyString(expected: "a rule name")
        var expected: [ExpectedAlert] = []
        for alertNode in try map["exp_alerts"]?.sequence(expected: "a list of expected alerts") ?? [] {
            let alertMap = try alertNode.mapping(allowedKeys: ["exp_labels", "exp_annotations"])
            var labels = try RuleFile.stringMap(alertMap["exp_labels"])
            labels["alertname"] = nil
            expected.append(
                ExpectedAlert(labels: labels, annotations: try RuleFile.stringMap(alertMap["exp_annotations"])))
        }
        return AlertCheck(evalTime: evalTime, alertname: alertname, expected: expected, keyPath: node.path)
    }

    /// A ``compoundDuration(_:)`` greater than zero.
    static func positiveDuration(_ node: ConfigurationNode) throws(ConfigurationError) -> Duration {
        let duration = try compoundDuration(node)
        guard duration > .zero else { throw node.invalid(expected: "a duration greater than 0s") }
        return duration
    }

    /// A duration written as one or more `<n><unit>` parts, e.g. `10s`, `2m30s`, `1h5m` (as promtool
    /// accepts); each part is read by ``ConfigurationValue``.
    static func compoundDuration(_ node: ConfigurationNode) throws(ConfigurationError) -> Duration {
        try node.value(expected: "a duration such as 10s, 5m or 2m30s") { text in
            var total = Duration.zero
            var part = ""
            var sawUnit = false
            for character in text {
                if character.isNumber, sawUnit {
                    guard let d = ConfigurationValue.duration(part) else { return nil }
                    total += d
                    part = ""
                    sawUnit = false
                }
                sawUnit = sawUnit || !character.isNumber
                part.append(character)
            }
            guard !part.isEmpty, let last = ConfigurationValue.duration(part) else { return nil }
            return total + last
        }
    }
}
