import NIOCore
import NIOEmbedded
import Testing
import VigilProtocol

@Suite("Length-prefixed codec in a NIO pipeline")
struct LengthPrefixedCodecTests {
    private func channel(maxFrameBytes: Int = FrameParser.defaultMaxFrameBytes) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_Frame>(maxFrameBytes: maxFrameBytes))
        )
        try channel.pipeline.syncOperations.addHandler(
            MessageToByteHandler(LengthPrefixedMessageEncoder<Vigil_V1_Frame>())
        )
        return channel
    }

    @Test("frames written by the encoder are read back by the decoder, byte by byte")
    func roundTripOneByteAtATime() throws {
        let channel = try channel()
        let frames: [Vigil_V1_Frame] = [
            Samples.frame(
                .hello(
                    .with {
                        $0.protocolVersion = 1; $0.agentID = "web-01"; $0.labels = ["service": "checkout"]
                    })),
            Samples.frame(
                .batch(
                    .with {
                        $0.firstSeq = 1; $0.records = (0..<50).map(Samples.record)
                    })),
            Samples.frame(
                .reject(
                    .with {
                        $0.code = .tooLarge; $0.message = "too big"
                    })),
        ]
        for frame in frames { try channel.writeOutbound(frame) }
        var wire = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }
        while let byte = wire.readSlice(length: 1) { try channel.writeInbound(byte) }
        var decoded: [Vigil_V1_Frame] = []
        while let frame = try channel.readInbound(as: Vigil_V1_Frame.self) { decoded.append(frame) }
        #expect(decoded == frames)
        #expect(try channel.finish().isClean)
    }

    @Test("an oversize frame surfaces as a FrameError through the pipeline")
    func oversizeThroughPipeline() throws {
        let channel = try channel(maxFrameBytes: 64)
        #expect(throws: FrameError.self) { try channel.writeInbound(ByteBuffer(bytes: [0, 0, 1, 0])) }
        _ = try? channel.finish()
    }

    @Test("a stream that ends mid-frame is reported as truncated with the bytes missing")
    func truncatedAtEOF() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 10, 1, 2, 3]))
        do {
            _ = try channel.finish()
            Issue.record("expected truncated")
        } catch let error as FrameError {
            #expect(error.code == .truncated)
            #expect(error.message.contains("7 bytes short"))
        }
    }
}
