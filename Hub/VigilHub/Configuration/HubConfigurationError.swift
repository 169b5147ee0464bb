/// A problem found while loading `hub.yaml`: what kind, where (the dotted key path), the value that
/// was there, and what to write instead.
///
/// ``description`` is the line a user sees, for example
/// `hub.yaml: limits.max_frame_bytes: expected a positive integer, got "big"`.
public struct HubConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem it is. Compare against the static members; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A key the configuration does not define (often a typo).
        public static let unknownKey = Code("unknown_key")
        /// A required key is absent.
        public static let missingKey = Code("missing_key")
        /// A key is present but its value is of the wrong type or out of range.
        public static let invalidValue = Code("invalid_value")
        /// A recognised setting this build cannot honour yet (for example `store.kind: postgres`).
        public static let unsupported = Code("unsupported")
        /// The file could not be read.
        public static let unreadable = Code("unreadable")
        /// The text is not well-formed YAML (duplicate keys included).
        public static let syntax = Code("syntax")

        /// The code's snake_case name.
        public var description: String { name }
    }

    /// What kind of problem it is.
    public var code: Code
    /// Where the configuration came from, usually the file path; the first part of ``description``.
    public var source: String
    /// The dotted key path of the offending key, e.g. `limits.max_frame_bytes`; empty for whole-file
    /// problems.
    public var keyPath: String
    /// The offending value as written (quoted for scalars), or `nil` when there is none.
    public var value: String?
    /// What is wrong and what is expected, without the source and key path.
    public var detail: String
    /// The 1-based line of the problem, when known.
    public var line: Int?
    /// The underlying error (a YAML parser error or a system error), if any.
    public var cause: (any Error)?

    /// Creates an error.
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
        if keyPath.isEmpty {
            return line.map { "\(source):\($0): \(detail)" } ?? "\(source): \(detail)"
        }
        return "\(source): \(keyPath): \(detail)"
    }

    /// Same as ``message``.
    public var description: String { message }
}

extension HubConfigurationError {
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
}
