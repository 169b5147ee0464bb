// AlertRuleError: why a selector, a template or a rule cannot be built. The rule-file loader prefixes it
// with the file and key path it came from.

/// A problem with a rule's parts: a selector that does not parse, a template that does not, a bad value.
public struct AlertRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is.
    public enum Code: String, Sendable, Hashable {
        /// The series selector does not parse or names an unknown series.
        case invalidSelector = "invalid_selector"
        /// An annotation template does not parse or refers to something unknown.
        case invalidTemplate = "invalid_template"
        /// The rule's parts do not fit together (no threshold, a bad name, …).
        case invalidRule = "invalid_rule"
    }

    /// What kind of problem it is.
    public var code: Code
    /// What is wrong, quoting what was written.
    public var detail: String

    /// Creates an error.
    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    /// Same as ``detail``.
    public var description: String { detail }
}
