// AlertTemplate: annotation text with Prometheus-style placeholders, parsed once when the rule loads so a
// typo is a load error, never a surprise at 3 a.m. Supported: `{{ $labels.NAME }}` (empty when absent),
// `{{ $value }}`, `{{ $threshold }}`, `{{ $severity }}`. Numbers render like Go's %g-free shortest form:
// integers without a decimal point ("100"), others in Swift's shortest round-trip form ("0.25").

/// Text with placeholders filled in from an alert.
public struct AlertTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One piece of the template.
    enum Part: Sendable, Hashable {
        case text(String)
        case label(String)
        case value
        case threshold
        case severity
    }

    /// The template as written.
    public let source: String
    let parts: [Part]

    /// Parses `source`; an unknown or unterminated placeholder is an error quoting it.
    public init(_ source: String) throws(AlertRuleError) {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw AlertRuleError(
                    code: .invalidTemplate, detail: "unterminated {{ in \(SeriesSelector.quote(source))")
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingSpaces()
            parts.append(try Self.part(expression, in: source))
            rest = rest[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    private static func part(_ expression: String, in source: String) throws(AlertRuleError) -> Part {
        switch expression {
        case "$value": return .value
        case "$threshold": return .threshold
        case "$severity": return .severity
        default:
            let prefix = "$labels."
            if expression.hasPrefix(prefix) {
                let name = String(expression.dropFirst(prefix.count))
                if !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                    return .label(name)
                }
            }
            throw AlertRuleError(
                code: .invalidTemplate,
                detail:
                    "unknown placeholder {{ \(expression) }} in \(SeriesSelector.quote(source)); "
                    + "use $labels.NAME, $value, $threshold or $severity")
        }
    }

    /// The text with placeholders replaced.
    public func render(
        labels: [String: String], value: Double, threshold: Double, severity: AlertSeverity
    )
        -> String
    {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .label(let name): out += labels[name] ?? ""
            case .value: out += Self.number(value)
            case .threshold: out += Self.number(threshold)
            case .severity: out += severity.rawValue
            }
        }
        return out
    }

    /// `value` as shown in text: integers without ".0", others in shortest round-trip form.
    public static func number(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// The template as written.
    public var description: String { source }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
