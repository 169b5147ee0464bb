import NIOCore
import SwiftProtobuf

/// A SwiftNIO encoder writing each message as a 4-byte big-endian length and its protobuf bytes.
public struct LengthPrefixedMessageEncoder<M: SwiftProtobuf.Message & Sendable>: MessageToByteEncoder {
    public typealias OutboundIn = M

    /// Creates an encoder.
    public init() {}

    public func encode(data: M, out: inout ByteBuffer) throws {
        try out.writeLengthPrefixedMessage(data)
    }
}

extension ByteBuffer {
    /// Appends `message` as one frame: its serialized length as a big-endian `UInt32`, then the bytes.
    public mutating func writeLengthPrefixedMessage(_ message: some SwiftProtobuf.Message) throws {
        let bytes: [UInt8] = try message.serializedBytes()
        writeInteger(UInt32(bytes.count), endianness: .big)
        writeBytes(bytes)
    }
}
