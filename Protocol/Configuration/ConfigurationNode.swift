import VigilProtocol
import Yams

/// One node of a composed configuration document with its dotted key path, so every error it raises names
/// where in the file the problem is. The typed readers turn a scalar into a value or into a
/// ``ConfigurationError`` that quotes what was written and says what to write.
public struct ConfigurationNode {
    public let node: Node
    /// Dotted key path, e.g. `buffer.when_full` or `endpoints[1]`.
    public let path: String
    /// The configuration's source, usually the file path; the prefix of every error.
    public let source: String

    public init(node: Node, path: String, source: String) {
        self.node = node
        self.path = path
        self.source = source
    }

    /// The 1-based line of the node, when Yams recorded it.
    public var line: Int? { node.mark?.line }

    /// True for an empty value, `~` or `null` written without quotes: read as if the key were absent.
    public var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The value as a user would recognise it in an error: a quoted scalar, or its kind.
    public var rendered: String {
        switch node {
        case .scalar(let scalar): return QuotedText.quote(scalar.string)
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The path of a child key of this node.
    public func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    // MARK: Errors

    /// An `invalidValue` error: "expected `expected`, got VALUE".
    public func invalid(expected: String) -> ConfigurationError {
        invalid(reason: "expected \(expected)")
    }

    /// An `invalidValue` error with a free-form explanation instead of "expected …": "`reason`, got VALUE".
    public func invalid(reason: String) -> ConfigurationError {
        ConfigurationError(
            code: .invalidValue, source: source, keyPath: path, value: rendered, detail: "\(reason), got \(rendered)",
            line: line)
    }

    // MARK: Scalars

    /// The scalar text; `expected` describes the wanted value for the error otherwise.
    public func string(expected: String = "a text value") throws(ConfigurationError) -> String {
        guard case .scalar(let scalar) = node else { throw invalid(expected: expected) }
        return scalar.string
    }

    /// The scalar text converted by `transform`; `nil` from it is an `invalidValue` naming `expected`.
    public func value<T>(expected: String, _ transform: (String) -> T?) throws(ConfigurationError) -> T {
        guard let value = transform(try string(expected: expected)) else { throw invalid(expected: expected) }
        return value
    }

    /// A non-empty string without control characters (a URL, a name).
    public func nonEmptyString(expected: String) throws(ConfigurationError) -> String {
        try value(expected: expected) { text in
            text.isEmpty || text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? nil : text
        }
    }

    /// A string of 1 to `maxBytes` UTF-8 bytes without control characters (an id, a name, a glob); `what` names
    /// it in the error ("a glob", "a service name").
    public func boundedText(
        _ what: String, maxBytes: Int, orAlso alternative: String = ""
    ) throws(ConfigurationError)
        -> String
    {
        try value(expected: "\(what) of 1 to \(maxBytes) bytes without control characters\(alternative)") { text in
            (1...maxBytes).contains(text.utf8.count)
                && !text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? text : nil
        }
    }

    /// A non-empty path without NUL bytes, at most 4096 bytes.
    public func filePath() throws(ConfigurationError) -> String {
        try value(expected: "a file path") { path in
            !path.isEmpty && !path.utf8.contains(0) && path.utf8.count <= 4096 ? path : nil
        }
    }

    /// A whole number from 1 to `max`.
    public func positiveInteger(max: Int = Int.max) throws(ConfigurationError) -> Int {
        let expected = max == Int.max ? "a positive integer" : "a positive integer up to \(max)"
        return try value(expected: expected) { text in
            ConfigurationValue.integer(text).flatMap { (1...max).contains($0) ? $0 : nil }
        }
    }

    /// A whole number within `range`.
    public func integer(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        try value(expected: "a whole number from \(range.lowerBound) to \(range.upperBound)") { text in
            ConfigurationValue.integer(text).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// A finite number in `range`.
    public func number(in range: ClosedRange<Double>, expected: String) throws(ConfigurationError) -> Double {
        try value(expected: expected) { text in
            guard let n = Double(text), n.isFinite, range.contains(n) else { return nil }
            return n
        }
    }

    /// A duration such as `500ms`, `10s`, `5m`, `4h`, `90d` of at least `minimum`.
    public func duration(atLeast minimum: Duration) throws(ConfigurationError) -> Duration {
        let value = try value(
            expected: "a duration such as 500ms, 10s, 5m, 4h or 90d", ConfigurationValue.duration)
        guard value >= minimum else {
            throw invalid(expected: "a duration of at least \(ConfigurationValue.render(minimum))")
        }
        return value
    }

    /// A size in bytes (`65536`, `64KiB`, `1MiB`, `1GiB`) within `range`.
    public func size(in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        func shown(_ bytes: Int) -> String {
            for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes % (1 << shift) == 0 {
                return "\(bytes >> shift)\(unit)"
            }
            return "\(bytes)"
        }
        let expected =
            range.upperBound == Int.max
            ? "a size in bytes of at least \(shown(range.lowerBound))"
            : "a size in bytes from \(shown(range.lowerBound)) to \(shown(range.upperBound))"
        return try value(expected: expected) { text in
            ConfigurationValue.size(text).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// One of the raw values of `Choice`, listed in the error otherwise.
    public func choice<Choice: RawRepresentable & CaseIterable>() throws(ConfigurationError) -> Choice
    where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        let expected = names.count == 2 ? "\(names[0]) or \(names[1])" : "one of " + names.joined(separator: ", ")
        return try value(expected: expected, Choice.init(rawValue:))
    }

    /// `host:port` or `[ipv6]:port` with a port in `ports`; the error shows `example`.
    public func address(ports: ClosedRange<Int>, example: String) throws(ConfigurationError) -> HostPort {
        switch HostPort.parse(try string(expected: "host:port"), ports: ports) {
        case .success(let address): return address
        case .failure(let failure): throw invalid(reason: "\(failure.reason) (e.g. \"\(example)\")")
        }
    }

    // MARK: Collections

    /// The elements of a list; an empty value is an empty list.
    public func sequence(expected: String) throws(ConfigurationError) -> [ConfigurationNode] {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else { throw invalid(expected: expected) }
        return sequence.enumerated().map { ConfigurationNode(node: $1, path: "\(path)[\($0)]", source: source) }
    }

    /// The elements of a list converted by `element`, refusing duplicates.
    public func uniqueList<Element: Hashable>(
        expected: String, _ element: (ConfigurationNode) throws(ConfigurationError) -> Element
    ) throws(ConfigurationError) -> [Element] {
        var result: [Element] = []
        var seen: Set<Element> = []
        for child in try sequence(expected: expected) {
            let value = try element(child)
            guard seen.insert(value).inserted else { throw child.invalid(reason: "duplicate entry") }
            result.append(value)
        }
        return result
    }

    /// The entries of a mapping whose keys must all be in `allowedKeys` (every unknown key is reported at
    /// once); an empty value is `{}`.
    public func mapping(allowedKeys: [String]) throws(ConfigurationError) -> ConfigurationMapping {
        if isNull { return ConfigurationMapping(path: path, source: source, entries: [:]) }
        guard case .mapping(let mapping) = node else {
            throw invalid(expected: "a mapping with keys \(allowedKeys.joined(separator: ", "))")
        }
        var entries: [String: ConfigurationNode] = [:]
        var problems = ConfigurationProblems()
        for (keyNode, valueNode) in mapping {
            problems.check { () throws(ConfigurationError) in
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ConfigurationNode(node: keyNode, path: path, source: source).invalid(expected: "a plain key")
                }
                let key = keyScalar.string
                guard allowedKeys.contains(key) else {
                    throw .unknownKey(
                        childPath(key), source: source,
                        suggestions: KeySuggestion.closest(to: key, among: allowedKeys), line: keyNode.mark?.line)
                }
                entries[key] = ConfigurationNode(node: valueNode, path: childPath(key), source: source)
            }
        }
        try problems.throwIfAny()
        return ConfigurationMapping(path: path, source: source, entries: entries)
    }
}

/// The checked entries of one YAML mapping: every key is known (unknown ones were already refused by
/// ``ConfigurationNode/mapping(allowedKeys:)``), and `null` values read as absent.
public struct ConfigurationMapping {
    /// Dotted key path of the mapping itself; empty at the top level.
    public let path: String
    /// The configuration's source, usually the file path.
    public let source: String
    /// Entries by key.
    public let entries: [String: ConfigurationNode]

    /// The value under `key`, or `nil` when the key is absent or its value empty.
    public subscript(key: String) -> ConfigurationNode? {
        guard let node = entries[key], !node.isNull else { return nil }
        return node
    }

    /// The value under `key`, or a `missingKey` error whose message says what to write.
    public func required(_ key: String, hint: String) throws(ConfigurationError) -> ConfigurationNode {
        guard let node = self[key] else {
            throw .missingKey(path.isEmpty ? key : "\(path).\(key)", source: source, hint: hint)
        }
        return node
    }
}

extension ConfigurationMapping {
    /// Runs `read` on the value under `key` when there is one; what it throws is kept in `problems`, so the
    /// next key is still read and a file's problems are reported together.
    public func read(
        _ key: String, into problems: inout ConfigurationProblems,
        _ read: (ConfigurationNode) throws(ConfigurationError) -> Void
    ) {
        guard let node = self[key] else { return }
        problems.check { () throws(ConfigurationError) in try read(node) }
    }
}
