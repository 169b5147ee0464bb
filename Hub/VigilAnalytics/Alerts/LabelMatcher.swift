// LabelMatcher: one condition on one label of a series, with Prometheus's four operators. A label that
// is absent reads as the empty string, as in Prometheus. Regular expressions match the whole value.

/// One condition on a label: `name="v"`, `name!="v"`, `name=~"re"` or `name!~"re"`.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    /// The comparison a matcher makes.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        /// `=`: the value equals the text.
        case equal = "="
        /// `!=`: the value differs from the text.
        case notEqual = "!="
        /// `=~`: the whole value matches the regular expression.
        case matches = "=~"
        /// `!~`: the whole value does not match the regular expression.
        case notMatches = "!~"
    }

    /// The label's name.
    public let name: String
    /// The comparison.
    public let op: Operator
    /// The text or the regular expression as written.
    public let value: String
    private let pattern: CompiledPattern?

    /// Creates a matcher; for `=~` and `!~` the value must be a valid regular expression.
    public init(name: String, op: Operator, value: String) throws(AlertRuleError) {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual: pattern = nil
        case .matches, .notMatches: pattern = try CompiledPattern(value)
        }
    }

    /// Whether `labels` satisfy the condition; an absent label counts as "".
    public func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[name] ?? ""
        switch op {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .matches: return pattern?.wholeMatch(actual) ?? false
        case .notMatches: return !(pattern?.wholeMatch(actual) ?? true)
        }
    }

    /// The matcher as written in a selector, e.g. `service="checkout"`.
    public var description: String {
        "\(name)\(op.rawValue)\(SeriesSelector.quote(value))"
    }

    /// Matchers are equal when they are written the same way.
    public static func == (lhs: LabelMatcher, rhs: LabelMatcher) -> Bool {
        lhs.name == rhs.name && lhs.op == rhs.op && lhs.value == rhs.value
    }

    /// Hashes the written form.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(op)
        hasher.combine(value)
    }
}

/// A compiled regular expression. `Regex` is not `Sendable`; this box is, because the expression is
/// never mutated after it is compiled and matching does not change it.
final class CompiledPattern: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws(AlertRuleError) {
        do {
            regex = try Regex(pattern)
        } catch {
            throw AlertRuleError(
                code: .invalidSelector, detail: "invalid regular expression \(SeriesSelector.quote(pattern))")
        }
    }

    func wholeMatch(_ text: String) -> Bool {
        (try? regex.wholeMatch(in: text)) != nil
    }
}
