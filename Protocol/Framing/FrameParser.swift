import NIOCore

/// Splits a byte stream into length-prefixed frame payloads: a 4-byte unsigned big-endian length `N`,
/// then `N` bytes (DESIGN §2).
///
/// Invariants:
/// - The length is checked before any payload byte is awaited, so a receiver never holds more than
///   `maxFrameBytes` (+ the 4-byte prefix) for one frame, whatever a peer announces.
/// - `N == 0` and `N > maxFrameBytes` are errors; after an error the stream is unusable and the caller
///   closes it.
/// - A frame split at any byte boundary is returned once all of it has arrived; several frames in one
///   read are returned one call at a time.
public struct FrameParser: Sendable {
    /// The default limit for one frame, 16 MiB.
    public static let defaultMaxFrameBytes = 16 * 1024 * 1024
    /// Bytes in the length prefix.
    public static let prefixBytes = 4

    /// The largest payload accepted.
    public let maxFrameBytes: Int

    /// Creates a parser that accepts payloads of 1...`maxFrameBytes` bytes.
    public init(maxFrameBytes: Int = FrameParser.defaultMaxFrameBytes) {
        precondition(maxFrameBytes > 0 && maxFrameBytes <= Int(UInt32.max), "maxFrameBytes out of range")
        self.maxFrameBytes = maxFrameBytes
    }

    /// Takes the next complete payload from the front of `buffer`, or returns nil (consuming nothing)
    /// when more bytes are needed.
    public func nextPayload(from buffer: inout ByteBuffer) throws(FrameError) -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        if length == 0 { throw .zeroLength() }
        if length > maxFrameBytes { throw .tooLarge(length: length, limit: maxFrameBytes) }
        guard buffer.readableBytes >= Self.prefixBytes + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.prefixBytes)
        return buffer.readSlice(length: Int(length))
    }

    /// The announced length of the partial frame at the front of `buffer`, if its prefix has arrived.
    /// Used to report how short a stream ended.
    public func pendingLength(in buffer: ByteBuffer) -> Int? {
        buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self).map(Int.init)
    }
}
