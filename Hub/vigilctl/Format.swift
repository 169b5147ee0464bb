import Foundation

/// Human-readable figures for tables.
enum Format {
    /// `2d 3h`, `4m 5s`, `1.2s`: the two largest units.
    static func duration(seconds: Double) -> String {
        if !seconds.isFinite || seconds < 0 { return "-" }
        if seconds < 10 { return "\((seconds * 10).rounded() / 10)s" }
        let total = Int(seconds.rounded())
        let units = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var parts: [String] = []
        var rest = total
        for (name, size) in units where rest >= size || (!parts.isEmpty && parts.count < 2) {
            if parts.count == 2 { break }
            parts.append("\(rest / size)\(name)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}

extension Format {
    /// `12.3 %`, or `-` when absent.
    static func percent(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "-" }
        let value = ratio * 100
        return value >= 10 || value == 0 ? "\(Int(value.rounded())) %" : "\((value * 10).rounded() / 10) %"
    }

    /// Up to four significant digits, or `-` when absent.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        let magnitude = value.magnitude
        let digits = magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : 3
        var text = String(format: "%.\(digits)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
