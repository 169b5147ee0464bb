/// A problem found while loading `agent.yaml` or `hub.yaml`: what kind, where (the dotted key path), the
/// value that was there, and what to write instead.
///
/// ``description`` is the line a user sees, for example
/// `agent.yaml: buffer.when_full: expected drop_oldest or reject_new, got "drop_newest"`. A loader reports every
/// problem of a file at once: the first is the error itself, the rest are in ``others`` (see ``all``).
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
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
        /// A recognised setting this build cannot honour.
        public static let unsupported = Code("unsupported")
        /// The file could not be read.
        public static let unreadable = Code("unreadable")
        /// The text is not well-formed YAML (duplicate keys included).
        public static let syntax = Code("syntax")

        /// The code's snake_case name, e.g. `invalid_value`.
        public var description: String { name }
    }

    /// What kind of problem it is.
    public var code: Code
    /// Where the configuration came from, usually the file path (or the `--set` flag that set the key); the
    /// first part of ``description``.
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
    /// The file's other problems, in the order they were found.
    public var others: [ConfigurationError] = []

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

    /// The full message a user can act on: `source: key.path: detail` (`source:line: detail` for whole-file
    /// problems).
    public var message: String {
        if keyPath.isEmpty {
            return line.map { "\(source):\($0): \(detail)" } ?? "\(source): \(detail)"
        }
        return "\(source): \(keyPath): \(detail)"
    }

    /// ``message``, followed by each of ``others`` on a line of its own: what `check-config` and a daemon
    /// that refuses to start print.
    public var description: String { all.map(\.message).joined(separator: "\n") }

    /// This problem and ``others``, each without others of its own.
    public var all: [ConfigurationError] {
        var first = self
        first.others = []
        return [first] + others
    }
}

extension ConfigurationError {
    /// `unknown key (did you mean …?)`.
    public static func unknownKey(_ keyPath: String, source: String, suggestions: [String], line: Int?) -> Self {
        var detail = "unknown key"
        if !suggestions.isEmpty {
            detail += " (did you mean \(suggestions.joined(separator: " or "))?)"
        }
        return Self(code: .unknownKey, source: source, keyPath: keyPath, detail: detail, line: line)
    }

    /// `required key is missing (hint)`.
    public static func missingKey(_ keyPath: String, source: String, hint: String) -> Self {
        Self(code: .missingKey, source: source, keyPath: keyPath, detail: "required key is missing (\(hint))")
    }

    /// An error about a `--set` flag itself (a malformed path through the file).
    public static func overrideError(_ error: ConfigurationOverride.SyntaxError) -> Self {
        Self(code: .invalidValue, source: error.flag, keyPath: "", detail: error.reason)
    }
}

/// Collects the problems of one file so that a loader reports them all at once: each part of the file is
/// checked on its own, and a part that fails leaves its default in place while the next part is checked.
public struct ConfigurationProblems {
    private var found: [ConfigurationError] = []

    /// An empty collection.
    public init() {}

    /// Runs `check`, keeping what it throws (with the problems it carried) instead of stopping.
    public mutating func check(_ check: () throws(ConfigurationError) -> Void) {
        do {
            try check()
        } catch {
            found += error.all
        }
    }

    /// Throws the first problem found, carrying the others, when there is any.
    public func throwIfAny() throws(ConfigurationError) {
        guard var first = found.first else { return }
        first.others = Array(found.dropFirst())
        throw first
    }
}
