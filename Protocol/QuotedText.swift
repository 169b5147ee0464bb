/// Text shown inside an error or summary message, quoted like a JSON string so that invisible
/// characters show: `"`, `\`, newline, tab and return are escaped, other control characters are
/// written as `\u{…}`. Used by the agent's and the hub's configuration loaders, which name the
/// offending value in every error.
public enum QuotedText {
    /// `text` in double quotes with its special and invisible characters escaped.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
