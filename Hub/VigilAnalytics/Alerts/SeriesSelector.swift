// SeriesSelector: which series a rule looks at, written like a PromQL vector selector:
// `error_rate{service="checkout", version!~"0\\..*"}`. The name must be one of the hub's series
// (SeriesName); label values are double-quoted with `\"`, `\\`, `\n` and `\t` escapes.

/// A series name plus label matchers; a series is selected when its name is `name` and every matcher holds.
public struct SeriesSelector: Sendable, Hashable, CustomStringConvertible {
    /// The series looked at.
    public var name: SeriesName
    /// Conditions on its labels, all of which must hold.
    public var matchers: [LabelMatcher]

    /// Creates a selector.
    public init(name: SeriesName, matchers: [LabelMatcher] = []) {
        self.name = name
        self.matchers = matchers
    }

    /// Whether `series` is selected.
    public func matches(_ series: SeriesValue) -> Bool {
        series.name == name && matchers.allSatisfy { $0.matches(series.labels) }
    }

    /// The selector as it would be written.
    public var description: String {
        matchers.isEmpty ? name.rawValue : "\(name.rawValue){\(matchers.map(\.description).joined(separator: ", "))}"
    }

    /// Parses `name` or `name{label op "value", ...}`.
    public static func parse(_ text: String) throws(AlertRuleError) -> SeriesSelector {
        var scanner = SelectorScanner(text)
        scanner.skipSpaces()
        let word = scanner.identifier(allowing: ".")
        guard !word.isEmpty else { throw scanner.error("expected a series name such as error_rate") }
        guard let name = SeriesName(rawValue: word) else {
            let known = SeriesName.allCases.map(\.rawValue).joined(separator: ", ")
            throw AlertRuleError(code: .invalidSelector, detail: "unknown series \(quote(word)); known: \(known)")
        }
        var matchers: [LabelMatcher] = []
        scanner.skipSpaces()
        if scanner.take("{") {
            scanner.skipSpaces()
            while !scanner.take("}") {
                let label = scanner.identifier(allowing: "")
                guard !label.isEmpty else { throw scanner.error("expected a label name") }
                scanner.skipSpaces()
                guard let op = scanner.matcherOperator() else {
                    throw scanner.error("expected =, !=, =~ or !~ after \(label)")
                }
                scanner.skipSpaces()
                let value = try scanner.quoted()
                matchers.append(try LabelMatcher(name: label, op: op, value: value))
                scanner.skipSpaces()
                if scanner.take(",") {
                    scanner.skipSpaces()
                } else if !scanner.peek("}") {
                    throw scanner.error("expected , or }")
                }
            }
            scanner.skipSpaces()
        }
        guard scanner.atEnd else { throw scanner.error("unexpected text") }
        return SeriesSelector(name: name, matchers: matchers)
    }

    /// `text` in double quotes with `"`, `\` and control characters escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A cursor over selector text.
struct SelectorScanner {
    private let scalars: [Unicode.Scalar]
    private let text: String
    private var index = 0

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    var atEnd: Bool { index == scalars.count }

    func error(_ what: String) -> AlertRuleError {
        AlertRuleError(
            code: .invalidSelector, detail: "\(what) at offset \(index) in \(SeriesSelector.quote(text))")
    }

    mutating func skipSpaces() {
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
    }

    func peek(_ scalar: Unicode.Scalar) -> Bool {
        index < scalars.count && scalars[index] == scalar
    }

    mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        guard peek(scalar) else { return false }
        index += 1
        return true
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, plus any of `extra` after the first character.
    mutating func identifier(allowing extra: String) -> String {
        var out = ""
        while index < scalars.count {
            let s = scalars[index]
            let letter = (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || s == "_"
            let digit = s >= "0" && s <= "9"
            guard letter || (!out.isEmpty && (digit || extra.unicodeScalars.contains(s))) else { break }
            out.unicodeScalars.append(s)
            index += 1
        }
        return out
    }

    mutating func matcherOperator() -> LabelMatcher.Operator? {
        if take("=") { return take("~") ? .matches : .equal }
        if take("!") {
            if take("=") { return .notEqual }
            if take("~") { return .notMatches }
        }
        return nil
    }

    mutating func quoted() throws(AlertRuleError) -> String {
        guard take("\"") else { throw error("expected a double-quoted value") }
        var out = ""
        while index < scalars.count {
            let s = scalars[index]
            index += 1
            if s == "\"" { return out }
            if s == "\\" {
                guard index < scalars.count else { break }
                let escaped = scalars[index]
                index += 1
                switch escaped {
                case "n": out += "\n"
                case "t": out += "\t"
                case "\"", "\\": out.unicodeScalars.append(escaped)
                default: out += "\\"; out.unicodeScalars.append(escaped)
                }
            } else {
                out.unicodeScalars.append(s)
            }
        }
        throw error("unterminated quoted value")
    }
}
