/// Walks the text of a `/proc` file line by line and field by field without copying: every line and
/// field is a slice of the caller's buffer, and numbers are read straight from the bytes.
///
/// Lines end at `\n`; fields are separated by runs of spaces or tabs. Malformed input never traps:
/// a number that does not parse or overflows reads as `nil`, and callers skip the line.
struct ProcTextScanner {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// The next line without its newline, or `nil` at the end.
    mutating func nextLine() -> ArraySlice<UInt8>? {
        guard position < bytes.endIndex else { return nil }
        let start = position
        while position < bytes.endIndex, bytes[position] != UInt8(ascii: "\n") {
            position += 1
        }
        let line = bytes[start..<position]
        if position < bytes.endIndex { position += 1 }
        return line
    }
}

/// The whitespace-separated fields of one line.
struct ProcFields: IteratorProtocol {
    private let line: ArraySlice<UInt8>
    private var position: Int

    init(_ line: ArraySlice<UInt8>) {
        self.line = line
        self.position = line.startIndex
    }

    /// The next field, or `nil` at the end of the line.
    mutating func next() -> ArraySlice<UInt8>? {
        while position < line.endIndex, Self.isSpace(line[position]) { position += 1 }
        guard position < line.endIndex else { return nil }
        let start = position
        while position < line.endIndex, !Self.isSpace(line[position]) { position += 1 }
        return line[start..<position]
    }

    /// The next field read as a decimal number; `nil` at the end or when it is not one.
    mutating func nextDecimal() -> UInt64? {
        next().flatMap(ProcNumber.decimal)
    }

    /// Skips `count` fields; false when the line ends first.
    mutating func skip(_ count: Int) -> Bool {
        for _ in 0..<count {
            guard next() != nil else { return false }
        }
        return true
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}

/// Numbers and names as `/proc` files write them.
enum ProcNumber {
    /// An unsigned decimal number; `nil` when empty, not all digits, or beyond `UInt64`.
    static func decimal(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard !field.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in field {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// An unsigned hexadecimal number (either case, no `0x`); `nil` when malformed or beyond `UInt64`.
    static func hex(_ field: ArraySlice<UInt8>) -> UInt64? {
        guard !field.isEmpty, field.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in field {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    /// True when `field` is exactly the ASCII text `literal`.
    static func equals(_ field: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        guard field.count == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { literalBytes in
            field.elementsEqual(literalBytes)
        }
    }

    /// True when `field` starts with the ASCII text `literal`.
    static func hasPrefix(_ field: ArraySlice<UInt8>, _ literal: StaticString) -> Bool {
        guard field.count >= literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { literalBytes in
            field.prefix(literalBytes.count).elementsEqual(literalBytes)
        }
    }
}
