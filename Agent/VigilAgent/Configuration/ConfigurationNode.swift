import VigilProtocol
import Yams

/// One node of a composed YAML document together with its dotted key path, so every error it
/// raises can name where in the file the problem is.
struct ConfigurationNode {
    let node: Node
    /// Dotted key path, e.g. `buffer.when_full` or `endpoints[1]`.
    let path: String
    /// The configuration's source, usually the file path; the prefix of every error.
    let source: String

    /// The 1-based line of the node, when Yams recorded it.
    var line: Int? { node.mark?.line }

    /// True for an empty value, `~` or `null` written without quotes: treated as if the key were absent.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// The value as a user would recognise it in an error: a quoted scalar, or its kind.
    var rendered: String {
        switch node {
        case .scalar(let scalar): return QuotedText.quote(scalar.string)
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The path of a child key of this node.
    func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// An `invalidValue` error for this node.
    func invalid(expected: String) -> ConfigurationError {
        .invalidValue(path, source: source, expected: expected, got: rendered, line: line)
    }

    /// An `invalidValue` error for this node with a free-form explanation instead of "expected …".
    func invalid(reason: String) -> ConfigurationError {
        ConfigurationError(
            code: .invalidValue,
            source: source,
            keyPath: path,
            value: rendered,
            detail: "\(reason), got \(rendered)",
            line: line
        )
    }

    /// The scalar text of this node; `expected` describes the wanted value for the error otherwise.
    func scalar(expected: String) throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw invalid(expected: expected) }
        return scalar.string
    }

    /// The scalar text converted by `transform`; `nil` from it is an `invalidValue` naming `expected`.
    func value<T>(expected: String, _ transform: (String) -> T?) throws(ConfigurationError) -> T {
        let text = try scalar(expected: expected)
        guard let value = transform(text) else { throw invalid(expected: expected) }
        return value
    }

    /// The elements of a list; an empty value counts as an empty list.
    func sequence(expected: String) throws(ConfigurationError) -> [ConfigurationNode] {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else { throw invalid(expected: expected) }
        return sequence.enumerated().map { index, element in
            ConfigurationNode(node: element, path: "\(path)[\(index)]", source: source)
        }
    }

    /// The entries of a mapping whose keys must all be in `allowedKeys`; an empty value counts as `{}`.
    func mapping(allowedKeys: [String]) throws(ConfigurationError) -> ConfigurationMapping {
        if isNull { return ConfigurationMapping(path: path, source: source, entries: [:]) }
        guard case .mapping(let mapping) = node else { throw invalid(expected: "a mapping") }
        var entries: [String: ConfigurationNode] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                let keyAt = ConfigurationNode(node: keyNode, path: path, source: source)
                throw keyAt.invalid(expected: "a plain key")
            }
            let key = keyScalar.string
            guard allowedKeys.contains(key) else {
                throw .unknownKey(
                    childPath(key),
                    source: source,
                    suggestions: KeySuggestion.closest(to: key, among: allowedKeys),
                    line: keyNode.mark?.line
                )
            }
            entries[key] = ConfigurationNode(node: valueNode, path: childPath(key), source: source)
        }
        return ConfigurationMapping(path: path, source: source, entries: entries)
    }
}
