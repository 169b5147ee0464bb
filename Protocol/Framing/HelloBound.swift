/// Finds the size of a `Hello` inside an undecoded `Frame` payload, so the hub can refuse an oversize one
/// (DESIGN §2: at most ``WireProtocol/maxHelloBytes``) before decoding builds its labels. Pure.
///
/// It walks the frame's top-level fields, skipping each by its wire type (groups included, as the decoder
/// would), and adds up every `hello` field (field 1, length-delimited): protobuf merges repeated occurrences of
/// a message field, so a frame of many small Hellos decodes into one large one. A payload it cannot walk is
/// left to the decoder, which refuses it.
enum HelloBound {
    /// The total length of the `hello` fields in `payload`: 0 when there is none, nil when the payload is
    /// malformed.
    static func helloLength(in payload: UnsafeRawBufferPointer) -> Int? {
        var reader = WireReader(payload)
        var total = 0
        while !reader.isAtEnd {
            guard let key = reader.varint() else { return nil }
            if key & 7 == 2, key >> 3 == 1 {
                guard let field = reader.lengthDelimited() else { return nil }
                total += field.count
            } else if !skip(key, &reader, depth: 0) {
                return nil
            }
        }
        return total
    }

    /// Moves past the value of the field whose key was just read; false when it cannot.
    private static func skip(_ key: UInt64, _ reader: inout WireReader, depth: Int) -> Bool {
        switch key & 7 {
        case 0: return reader.varint() != nil
        case 1: return reader.skip(8)
        case 2: return reader.lengthDelimited() != nil
        case 5: return reader.skip(4)
        case 3:
            // A group runs to the end-group key of the same field; the decoder nests no deeper than 16.
            guard depth < 16 else { return false }
            while let inner = reader.varint() {
                if inner & 7 == 4 { return inner >> 3 == key >> 3 }
                if !skip(inner, &reader, depth: depth + 1) { return false }
            }
            return false
        default: return false
        }
    }
}

extension FrameError {
    static func helloTooLarge(length: Int, limit: Int) -> FrameError {
        FrameError(
            code: .tooLarge,
            message: "Hello of \(length) bytes exceeds the limit of \(limit) bytes; it was not decoded",
            length: UInt32(clamping: length))
    }
}
