import Foundation
import VigilAnalytics
import VigilConfiguration
import Yams

/// Reads alert-rule files (DESIGN §5) as strictly as `hub.yaml`: unknown keys are errors naming the key
/// path and the file, durations are written `30s`, `5m`, and rule names are unique across all files.
///
/// ```yaml
/// rules:
///   - name: HighErrorRate
///     series: 'error_rate{service="checkout"}'   # a series name plus label matchers (=, !=, =~, !~)
///     comparison: ">"                              # >, >=, <, <= (default >)
///     warning: 0.05                                # a warning and/or a critical threshold
///     critical: 0.2
///     for: 2m                                      # default 0s
///     keep_firing_for: 5m                          # default 0s
///     labels: { team: payments }
///     annotations: { summary: "{{ $labels.service }} errors at {{ $value }}" }
/// ```
public enum RuleFile {
    static let ruleKeys = [
        "name", "series", "comparison", "warning", "critical", "for", "keep_firing_for", "labels", "annotations",
    ]

    /// Loads every file in order; the first problem is thrown, naming its file and key path.
    public static func load(paths: [String]) throws(ConfigurationError) -> [AlertRule] {
        var rules: [AlertRule] = []
        var seen: [String: String] = [:]
        for path in paths {
            let text = try readText(path)
            for (index, rule) in try load(yaml: text, source: path).enumerated() {
                if let first = seen[rule.name] {
                    throw ConfigurationError(
                        code: .invalidValue, source: path, keyPath: "rules[\(index)].name", value: "\"\(rule.name)\"",
                        detail: "rule name \"\(rule.name)\" is already used in \(first); names must be unique")
                }
                seen[rule.name] = path
                rules.append(rule)
            }
        }
        return rules
    }

    /// Parses the rules in `yaml`; `source` names it in errors. Names must be unique within the text.
    public static func load(yaml: String, source: String) throws(ConfigurationError) -> [AlertRule] {
        let root = try compose(yaml, source: source)
        let map = try root.mapping(allowedKeys: ["rules"])
        guard let list = map["rules"] else { return [] }
        var rules: [AlertRule] = []
        for node in try list.sequence(expected: "a list of rules") {
            let rule = try self.rule(node)
            if rules.contains(where: { $0.name == rule.name }) {
                throw ConfigurationError(
                    code: .invalidValue, source: source, keyPath: node.childPath("name"), value: "\"\(rule.name)\"",
                    detail: "rule name \"\(rule.name)\" is used twice; names must be unique")
            }
            rules.append(rule)
        }
        return rules
    }

    static func rule(_ node: ConfigurationNode) throws(ConfigurationError) -> AlertRule {
        let map = try node.mapping(allowedKeys: ruleKeys)
        let name = try map.required("name", hint: "the alert's name, e.g. HighErrorRate").nonEmptyString(
            expected: "a rule name")
        let seriesNode = try map.required("series", hint: "e.g. 'error_rate{service=\"checkout\"}'")
        let seriesText = try seriesNode.string(expected: "a series selector")
        let selector = try convert(seriesNode) { () throws(AlertRuleError) in try SeriesSelector.parse(seriesText) }
        var comparison = AlertComparison.greater
        if let n = map["comparison"] {
            comparison = try n.value(expected: ">, >=, < or <=") { AlertComparison(rawValue: $0) }
        }
        let number = "a finite number"
        let warning = try map["warning"].map { n throws(ConfigurationError) in
            try n.number(in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, expected: number)
        }
        let critical = try map["critical"].map { n throws(ConfigurationError) in
            try n.number(in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, expected: number)
        }
        let forDuration = try map["for"]?.duration(atLeast: .zero) ?? .zero
        let keepFiringFor = try map["keep_firing_for"]?.duration(atLeast: .zero) ?? .zero
        let labels = try stringMap(map["labels"])
        var annotations: [String: AlertTemplate] = [:]
        if let annotationsNode = map["annotations"] {
            for (key, text) in try stringMap(annotationsNode) {
                let child = ConfigurationNode(
                    node: annotationsNode.node, path: annotationsNode.childPath(key), source: node.source)
                annotations[key] = try convert(child) { () throws(AlertRuleError) in try AlertTemplate(text) }
            }
        }
        return try convert(node) { () throws(AlertRuleError) in
            try AlertRule(
                name: name, selector: selector, comparison: comparison, warning: warning, critical: critical,
                forDuration: forDuration, keepFiringFor: keepFiringFor, labels: labels, annotations: annotations)
        }
    }

    /// A mapping of label-name keys to text values.
    static func stringMap(_ node: ConfigurationNode?) throws(ConfigurationError) -> [String: String] {
        guard let node, !node.isNull else { return [:] }
        guard case .mapping(let mapping) = node.node else { throw node.invalid(expected: "a mapping of names to text") }
        var out: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let keyConfig = ConfigurationNode(node: keyNode, path: node.path, source: node.source)
            let key = try keyConfig.value(expected: "a name of letters, digits and _") { text in
                !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                    ? text : nil
            }
            out[key] = try ConfigurationNode(node: valueNode, path: node.childPath(key), source: node.source).string()
        }
        return out
    }

    /// Runs `body`, turning an ``AlertRuleError`` into an error at `node`'s key path.
    static func convert<T>(
        _ node: ConfigurationNode, _ body: () throws(AlertRuleError) -> T
    ) throws(ConfigurationError)
        -> T
    {
        do {
            return try body()
        } catch {
            throw ConfigurationError(
                code: .invalidValue, source: node.source, keyPath: node.path, detail: error.detail, line: node.line)
        }
    }

    static func compose(_ yaml: String, source: String) throws(ConfigurationError) -> ConfigurationNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(
                code: .syntax, source: source, keyPath: "", detail: "not valid YAML: \(error)", cause: error)
        }
        guard let root else {
            return ConfigurationNode(node: .scalar(Node.Scalar("", .implicit, .plain)), path: "", source: source)
        }
        return ConfigurationNode(node: root, path: "", source: source)
    }

    static func readText(_ path: String) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(code: .unreadable, source: path, keyPath: "", detail: "cannot read the file")
        }
        guard data.count <= ConfigurationFile.maxBytes, let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(
                code: .unreadable, source: path, keyPath: "",
                detail: "the file is not UTF-8 text of at most \(ConfigurationFile.maxBytes) bytes")
        }
        return text
    }
}
