import Foundation

/// Label and attribute maps as JSON text in the database: keys sorted, so equal maps are equal text.
enum JSONText {
    /// `{"k":"v",...}` with keys in `String` order; `nil` for an empty map (stored as NULL).
    static func encode(_ map: [String: String]) -> String? {
        var bytes: [UInt8] = []
        guard encode(map, into: &bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Replaces `out` with the UTF-8 of ``encode(_:)``'s text and returns true, or returns false for an
    /// empty map. The insert path reuses one buffer for every record of a commit, and maps of one or two
    /// entries (most of them) are written without sorting: this runs for every stored record, on the
    /// hub's single writer.
    static func encode(_ map: [String: String], into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        guard let first = map.first else { return false }
        out.append(UInt8(ascii: "{"))
        if map.count == 1 {
            appendEntry(first.key, first.value, to: &out)
        } else if map.count == 2 {
            let second = map[map.index(after: map.startIndex)]
            let (a, b) = first.key < second.key ? (first, second) : (second, first)
            appendEntry(a.key, a.value, to: &out)
            out.append(UInt8(ascii: ","))
            appendEntry(b.key, b.value, to: &out)
        } else {
            // The entries sorted, rather than the keys: looking each value up again hashed its key.
            for (index, entry) in map.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendEntry(entry.key, entry.value, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// The map in `text`; an empty map for NULL or text that is not a JSON object of strings.
    static func decode(_ text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }

    private static func appendEntry(_ key: String, _ value: String, to out: inout [UInt8]) {
        appendQuoted(key, to: &out)
        out.append(UInt8(ascii: ":"))
        appendQuoted(value, to: &out)
    }

    private static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most keys and values need no escape: copy their bytes whole.
        let copied =
            text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
                guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
                else { return false }
                out.append(contentsOf: bytes)
                return true
            } ?? false
        if copied {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                // Multi-byte UTF-8 never contains a byte below 0x80, so every escape is an ASCII one.
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
