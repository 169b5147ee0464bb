import Foundation

/// Label and attribute maps as JSON text in the database: keys sorted, so equal maps are equal text.
enum JSONText {
    /// `{"k":"v",...}` with keys in byte order; `nil` for an empty map (stored as NULL).
    static func encode(_ map: [String: String]) -> String? {
        if map.isEmpty { return nil }
        var out = "{"
        out.reserveCapacity(2 + map.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 6 })
        for (index, entry) in map.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            appendQuoted(entry.key, to: &out)
            out += ":"
            appendQuoted(entry.value, to: &out)
        }
        return out + "}"
    }

    /// The map in `text`; an empty map for NULL or text that is not a JSON object of strings.
    static func decode(_ text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }

    static func appendQuoted(_ text: String, to out: inout String) {
        out += "\""
        // Most labels and attributes need no escaping: append them whole (this runs for every stored
        // record, on the hub's single writer).
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
