/// A problem found while loading `agent.yaml`: what kind, where (the key path), what value was there,
/// and what to write instead.
///
/// ``description`` is the line a user sees, for example
/// `agent.yaml: buffer.when_full: expected drop_oldest or reject_new, got "drop_newest"`.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is. Compare against the static members; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownKey
            case missingKey
            case invalidValue
            case unreadable
            case syntax
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A key the configuration does not define (often a typo).
        public static let unknownKey = Code(.unknownKey)
        /// A required key is absent.
        public static let missingKey = Code(.missingKey)
        /// A key is present but its value is of the wrong type or out of range.
        public static let invalidValue = Code(.invalidValue)
        /// The file could not be read.
        public static let unreadable = Code(.unreadable)
        /// The text is not well-formed YAML (includes duplicate keys).
        public static let syntax = Code(.syntax)

        /// The code's name, e.g. `invalidValue`.
        public var description: String { base.rawValue }
    }

    /// What kind of problem it is.
    public var code: Code
    /// Where the configuration came from, usually the file path; the first part of ``description``.
    public var source: String
    /// The dotted key path of the offending key, e.g. `buffer.when_full`; empty for whole-file problems.
    public var keyPath: String
    /// The offending value as written (quoted for scalars), or `nil` when there is none.
    public var value: String?
    /// What is wrong and what is expected, without the source and key path.
    public var detail: String
    /// The 1-based line of the problem in the source, when known.
    public var line: Int?
    /// The underlying error (a YAML parser error or a system error), if any.
    public var cause: (any Error)?

    /// Creates an error; prefer the factory methods below.
    public init(
        code: Code,
        source: String,
        keyPath: String,
        value: String? = nil,
        detail: String,
        line: Int? = nil,
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.source = source
        self.keyPath = keyPath
        self.value = value
        self.detail = detail
        self.line = line
        self.cause = cause
    }

    /// The full message a user can act on: `source: key.path: detail`.
    public var message: String {
        var prefix = source
        if let line, keyPath.isEmpty {
            prefix += ":\(line)"
        }
        if keyPath.isEmpty {
            return "\(prefix): \(detail)"
        }
        return "\(prefix): \(keyPath): \(detail)"
    }

    /// Same as ``message``.
    public var description: String { message }
}

extension ConfigurationError {
    static func unknownKey(_ keyPath: String, source: String, suggestions: [String], line: Int?) -> Self {
        var detail = "unknown key"
        if !suggestions.isEmpty {
            detail += " (did you mean \(suggestions.joined(separator: " or "))?)"
        }
        return Self(code: .unknownKey, source: source, keyPath: keyPath, detail: detail, line: line)
    }

    static func missingKey(_ keyPath: String, source: String, hint: String) -> Self {
        Self(code: .missingKey, source: source, keyPath: keyPath, detail: "required key is missing (\(hint))")
    }

    static func invalidValue(
        _ keyPath: String, source: String, expected: String, got rendered: String, line: Int?
    )
        -> Self
    {
        Self(
            code: .invalidValue,
            source: source,
            keyPath: keyPath,
            value: rendered,
            detail: "expected \(expected), got \(rendered)",
            line: line
        )
    }
}
