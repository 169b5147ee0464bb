import NIOCore
import SwiftProtobuf

/// A SwiftNIO decoder for length-prefixed protobuf frames of one message type `M`.
///
/// Oversize, zero-length and undecodable frames are thrown as ``FrameError`` (NIO fires them as
/// errors down the pipeline; the handler that owns the connection answers with a `Reject` and closes).
/// A stream that ends mid-frame is reported as ``FrameError/Code/truncated``.
public struct LengthPrefixedMessageDecoder<M: SwiftProtobuf.Message & Sendable>: ByteToMessageDecoder {
    public typealias InboundOut = M

    private let parser: FrameParser
    private let options: BinaryDecodingOptions
    private let maxHelloBytes: Int?

    /// Creates a decoder accepting frames up to `maxFrameBytes`. With `maxHelloBytes` (for `Frame`s only), a
    /// frame whose `hello` fields add up to more is refused as too large before it is decoded.
    public init(maxFrameBytes: Int = FrameParser.defaultMaxFrameBytes, maxHelloBytes: Int? = nil) {
        self.parser = FrameParser(maxFrameBytes: maxFrameBytes)
        self.options = .frames
        self.maxHelloBytes = M.self == Vigil_V1_Frame.self ? maxHelloBytes : nil
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let payload = try parser.nextPayload(from: &buffer) else { return .needMoreData }
        if let limit = maxHelloBytes, payload.readableBytes > limit,
            let length = payload.withUnsafeReadableBytes(HelloBound.helloLength(in:)), length > limit
        {
            throw FrameError.helloTooLarge(length: length, limit: limit)
        }
        context.fireChannelRead(Self.wrapInboundOut(try Self.decodeMessage(payload, options: options)))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let missing =
                (parser.pendingLength(in: buffer).map { $0 + FrameParser.prefixBytes } ?? FrameParser.prefixBytes)
                - buffer.readableBytes
            buffer.moveReaderIndex(to: buffer.writerIndex)
            throw FrameError.truncated(missing: missing)
        }
        return .needMoreData
    }

    /// Decodes one payload as `M`, mapping protobuf failures to ``FrameError``.
    public static func decodeMessage(
        _ payload: ByteBuffer,
        options: BinaryDecodingOptions = BinaryDecodingOptions()
    ) throws(FrameError) -> M {
        if let message = payload.withUnsafeReadableBytes(fastDecode) { return message }
        do {
            return try M(serializedBytes: payload.readableBytesSpan, options: options)
        } catch {
            throw .undecodable(length: payload.readableBytes, type: M.protoMessageName, cause: error)
        }
    }

    /// ``RecordWireDecoder``'s answer for the ingest hot path's messages; nil for every other type and
    /// for payloads it leaves to swift-protobuf.
    private static func fastDecode(_ bytes: UnsafeRawBufferPointer) -> M? {
        if M.self == Vigil_V1_Frame.self {
            return RecordWireDecoder.frame(bytes).map { unsafeBitCast($0, to: M.self) }
        }
        if M.self == Vigil_V1_Record.self {
            return RecordWireDecoder.record(bytes).map { unsafeBitCast($0, to: M.self) }
        }
        return nil
    }
}

extension BinaryDecodingOptions {
    /// The options frames from a peer are decoded with, by the decoder and by ``RecordWireDecoder``'s
    /// fallback: messages nest no deeper than 16.
    static let frames: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 16
        return options
    }()
}
