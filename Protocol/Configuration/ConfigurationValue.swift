/// Parsers and renderers for the value syntaxes of the configuration files (DESIGN §9), shared by
/// the file loader and command-line flags that override it.
public enum ConfigurationValue {
    /// Parses a duration written as a whole number and a unit: `500ms`, `10s`, `5m`, `4h`, `90d`.
    /// Returns `nil` for anything else, including negative, fractional or overflowing values.
    public static func duration(_ text: String) -> Duration? {
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

    /// Parses a size in bytes: a whole number, optionally followed by `KiB`, `MiB` or `GiB`.
    /// Returns `nil` for anything else or on overflow.
    public static func size(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var digitsEnd = 0
        while digitsEnd < bytes.count, isDigit(bytes[digitsEnd]) { digitsEnd += 1 }
        guard digitsEnd > 0, digitsEnd <= 18, let count = Int(String(decoding: bytes[..<digitsEnd], as: UTF8.self))
        else { return nil }
        let multiplier: Int
        switch String(decoding: bytes[digitsEnd...], as: UTF8.self) {
        case "": multiplier = 1
        case "KiB": multiplier = 1 << 10
        case "MiB": multiplier = 1 << 20
        case "GiB": multiplier = 1 << 30
        default: return nil
        }
        let (result, overflow) = count.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : result
    }

    /// Parses a whole number written in decimal digits only (no sign, no underscores).
    public static func integer(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    /// Parses a file mode written as three or four octal digits, e.g. `"0660"` or `"660"`.
    public static func fileMode(_ text: String) -> UInt32? {
        guard (3...4).contains(text.utf8.count),
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") })
        else { return nil }
        return UInt32(text, radix: 8)
    }

    /// True when `id` matches `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`.
    public static func isValidAgentID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...63).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Renders a duration in the largest unit that represents it exactly, e.g. `10s`, `5m`, `1500ms`.
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

    /// Renders a byte count as the integer, followed by its binary unit when it is exact, e.g. `1048576 (1 MiB)`.
    public static func render(bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes) (\(bytes >> shift) \(unit))"
        }
        return "\(bytes)"
    }

    /// Renders a file mode as four octal digits, e.g. `0660`.
    public static func render(mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
