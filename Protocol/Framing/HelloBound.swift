/// Finds the size of a `Hello` inside an undecoded `Frame` payload, so the hub can refuse an oversize one
/// (DESIGN §2: at most ``WireProtocol/maxHelloBytes``) before decoding builds its labels. Pure.
///
/// It walks the frame's top-level fields only, skipping each by its wire type; the `hello` field is field 1
/// with wire type 2 (length-delimited). A payload it cannot walk is left to the decoder, which reports it.
enum HelloBound {
    /// The length of the first `hello` field in `payload`, or nil when there is none or the payload is
    /// malformed.
    static func helloLength(in payload: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while offset < payload.count {
            guard let key = varint(payload, &offset) else { return nil }
            switch key & 7 {
            case 0:
                guard varint(payload, &offset) != nil else { return nil }
            case 1:
                offset += 8
            case 2:
                guard let length = varint(payload, &offset), length <= UInt64(payload.count) else { return nil }
                if key >> 3 == 1 { return Int(length) }
                offset += Int(length)
            case 5:
                offset += 4
            default:
                return nil
            }
        }
        return nil
    }

    private static func varint(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
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
