/// Finds the size of a `Hello` inside an undecoded `Frame` payload, so the hub can refuse an oversize one
/// (DESIGN §2: at most ``WireProtocol/maxHelloBytes``) before decoding builds its labels. Pure.
///
/// It walks the frame's top-level fields only, skipping each by its wire type; the `hello` field is field 1
/// with wire type 2 (length-delimited). A payload it cannot walk is left to the decoder, which reports it.
enum HelloBound {
    /// The length of the first `hello` field in `payload`, or nil when there is none or the payload is
    /// malformed.
    static func helloLength(in payload: UnsafeRawBufferPointer) -> Int? {
        var reader = WireReader(payload)
        while !reader.isAtEnd {
            guard let key = reader.varint() else { return nil }
            switch key & 7 {
            case 0:
                guard reader.varint() != nil else { return nil }
            case 1:
                guard reader.skip(8) else { return nil }
            case 2:
                guard let field = reader.lengthDelimited() else { return nil }
                if key >> 3 == 1 { return field.count }
            case 5:
                guard reader.skip(4) else { return nil }
            default:
                return nil
            }
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
