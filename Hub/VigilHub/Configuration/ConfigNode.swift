import VigilProtocol
import Yams

/// One node of the composed `hub.yaml` with its dotted key path, so every error it raises names
/// where in the file the problem is. Typed readers turn scalars into values or into a
/// ``HubConfigurationError`` that quotes what was written.
struct ConfigNode {
    let node: Node
    /// Dotted key path, e.g. `limits.max_frame_bytes` or `alerts.rules[1]`.
    let path: String
    /// The configuration's source, usually the file path; the prefix of every error.
    let source: String

    var line: Int? { node.mark?.line }

    /// True for an empty value, `~` or `null` written without quotes: read as if the key were absent.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
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

    func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// An `invalidValue` error: "expected `expected`, got VALUE".
    func invalid(expected: String) -> HubConfigurationError {
        HubConfigurationError(
            code: .invalidValue, source: source, keyPath: path, value: rendered,
            detail: "expected \(expected), got \(rendered)", line: line)
    }

    // MARK: Scalars

    func string(expected: String = "a text value") throws(HubConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw invalid(expected: expected) }
        return scalar.string
    }

    func value<T>(expected: String, _ transform: (String) -> T?) throws(HubConfigurationError) -> T {
        guard let value = transform(try string(expected: expected)) else { throw invalid(expected: expected) }
        return value
    }

    /// A non-empty string without control characters (a path, a URL, a name).
    func nonEmptyString(expected: String) throws(HubConfigurationError) -> String {
        try value(expected: expected) { text in
            text.isEmpty || text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? nil : text
        }
    }

    /// A string of 1 to `maxBytes` UTF-8 bytes without control characters (an id, a name, a glob); `what` names
    /// it in the error ("a glob", "a service name").
    func boundedText(
        _ what: String, maxBytes: Int, orAlso alternative: String = ""
    ) throws(HubConfigurationError)
        -> String
    {
        try value(expected: "\(what) of 1 to \(maxBytes) bytes without control characters\(alternative)") { text in
            (1...maxBytes).contains(text.utf8.count)
                && !text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? text : nil
        }
    }

    func positiveInteger(max: Int = Int.max) throws(HubConfigurationError) -> Int {
        let expected = max == Int.max ? "a positive integer" : "a positive integer up to \(max)"
        return try value(expected: expected) { text in
            guard let n = DurationText.integer(text), n > 0, n <= max else { return nil }
            return n
        }
    }

    func duration(minimum: Duration = .milliseconds(1)) throws(HubConfigurationError) -> Duration {
        let expected = "a duration of at least \(DurationText.render(minimum)) such as 500ms, 10s, 5m, 4h or 90d"
        return try value(expected: expected) { text in
            guard let d = DurationText.parse(text), d >= minimum else { return nil }
            return d
        }
    }

    /// A finite number in `range`.
    func number(in range: ClosedRange<Double>, expected: String) throws(HubConfigurationError) -> Double {
        try value(expected: expected) { text in
            guard let n = Double(text), n.isFinite, range.contains(n) else { return nil }
            return n
        }
    }

    func address(defaultPortHint: Int) throws(HubConfigurationError) -> HostPort {
        let text = try string(expected: "host:port")
        switch HostPort.parse(text) {
        case .success(let address): return address
        case .failure(let failure):
            throw HubConfigurationError(
                code: .invalidValue, source: source, keyPath: path, value: rendered,
                detail: "\(failure.reason) (e.g. \"0.0.0.0:\(defaultPortHint)\"), got \(rendered)", line: line)
        }
    }

    // MARK: Collections

    /// The elements of a list; an empty value is an empty list.
    func sequence(expected: String) throws(HubConfigurationError) -> [ConfigNode] {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else { throw invalid(expected: expected) }
        return sequence.enumerated().map { ConfigNode(node: $1, path: "\(path)[\($0)]", source: source) }
    }

    /// The entries of a mapping whose keys must all be in `allowedKeys`; an empty value is `{}`.
    func mapping(allowedKeys: [String]) throws(HubConfigurationError) -> ConfigMapping {
        if isNull { return ConfigMapping(path: path, source: source, entries: [:]) }
        guard case .mapping(let mapping) = node else {
            throw invalid(expected: "a mapping with keys \(allowedKeys.joined(separator: ", "))")
        }
        var entries: [String: ConfigNode] = [:]
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigNode(node: keyNode, path: path, source: source).invalid(expected: "a plain key")
            }
            let key = keyScalar.string
            guard allowedKeys.contains(key) else {
                throw .unknownKey(
                    childPath(key), source: source,
                    suggestions: KeySuggestion.closest(to: key, among: allowedKeys), line: keyNode.mark?.line)
            }
            entries[key] = ConfigNode(node: valueNode, path: childPath(key), source: source)
        }
        return ConfigMapping(path: path, source: source, entries: entries)
    }
}

/// The checked entries of one YAML mapping: every key is known, and `null` values read as absent.
struct ConfigMapping {
    let path: String
    let source: String
    let entries: [String: ConfigNode]

    /// The value under `key`, or `nil` when the key is absent or empty.
    subscript(key: String) -> ConfigNode? {
        guard let node = entries[key], !node.isNull else { return nil }
        return node
    }

    /// The value under `key`, or a `missingKey` error whose message says what to write.
    func required(_ key: String, hint: String) throws(HubConfigurationError) -> ConfigNode {
        guard let node = self[key] else {
            throw .missingKey(path.isEmpty ? key : "\(path).\(key)", source: source, hint: hint)
        }
        return node
    }
}
