/// The value syntaxes of `hub.yaml` (DESIGN §9): durations written `500ms`, `10s`, `5m`, `4h`, `90d`,
/// and plain decimal integers. Pure parsing and rendering.
public enum DurationText {
    /// Parses a whole number followed by `ms`, `s`, `m`, `h` or `d`; `nil` for anything else, including
    /// negative, fractional or overflowing values.
    public static func parse(_ text: String) -> Duration? {
        let bytes = Array(text.utf8)
        var digitsEnd = 0
        while digitsEnd < bytes.count, isDigit(bytes[digitsEnd]) { digitsEnd += 1 }
        guard digitsEnd > 0, digitsEnd <= 12, let count = Int64(String(decoding: bytes[..<digitsEnd], as: UTF8.self))
        else { return nil }
        switch String(decoding: bytes[digitsEnd...], as: UTF8.self) {
        case "ms": return .milliseconds(count)
        case "s": return .seconds(count)
        case "m": return .seconds(count * 60)
        case "h": return .seconds(count * 3600)
        case "d": return .seconds(count * 86_400)
        default: return nil
        }
    }

    /// Renders a duration in the largest unit that represents it exactly, e.g. `10s`, `5m`, `90d`.
    public static func render(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds % 1_000_000_000_000_000 == 0 else { return "\(duration)" }
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        for (unit, length) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds % length == 0 {
            return "\(seconds / length)\(unit)"
        }
        return "\(seconds)s"
    }

    /// Parses a whole number written in decimal digits only (no sign, no underscores).
    public static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : scaled &+ attoseconds / 1_000_000_000
    }
}
