import NIOCore
import SwiftProtobuf
import Testing
import VigilProtocol

@Suite("Frame parser")
struct FrameParserTests {
    @Test("a frame split at every byte boundary is returned once, whole")
    func splitAtEveryBoundary() throws {
        let frame = Samples.frame(
            .batch(
                .with {
                    $0.firstSeq = 7; $0.records = (0..<5).map(Samples.record)
                }))
        let wire = try Samples.framed(frame)
        let parser = FrameParser()
        for cut in 0...wire.readableBytes {
            var buffer = ByteBuffer()
            buffer.writeImmutableBuffer(wire.getSlice(at: 0, length: cut)!)
            var out: [Vigil_V1_Frame] = []
            if let payload = try parser.nextPayload(from: &buffer) {
                out.append(try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload))
            }
            #expect(out.isEmpty == (cut < wire.readableBytes), "cut at \(cut)")
            buffer.writeImmutableBuffer(wire.getSlice(at: cut, length: wire.readableBytes - cut)!)
            if out.isEmpty, let payload = try parser.nextPayload(from: &buffer) {
                out.append(try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload))
            }
            #expect(out == [frame], "cut at \(cut)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("many frames in one read come out in order")
    func manyFramesInOneRead() throws {
        var wire = ByteBuffer()
        let frames = (0..<100).map { i in Samples.frame(.ack(.with { $0.throughSeq = UInt64(i) })) }
        for frame in frames { try wire.writeLengthPrefixedMessage(frame) }
        let parser = FrameParser()
        var decoded: [Vigil_V1_Frame] = []
        while let payload = try parser.nextPayload(from: &wire) {
            decoded.append(try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload))
        }
        // Ack(0) encodes as an empty Ack inside the Frame, which is still a non-empty frame.
        #expect(decoded == frames)
    }

    @Test("a zero length is a typed error")
    func zeroLength() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 1, 2])
        #expect(throws: FrameError.self) { try FrameParser().nextPayload(from: &buffer) }
        do {
            _ = try FrameParser().nextPayload(from: &buffer)
        } catch {
            #expect(error.code == .zeroLength)
        }
    }

    @Test("an oversize length is refused from the 4-byte prefix alone, before any payload arrives")
    func oversizeRefusedEarly() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        do {
            _ = try FrameParser(maxFrameBytes: 1024).nextPayload(from: &buffer)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .tooLarge)
            #expect(error.length == UInt32.max)
            #expect(error.message.contains("4294967295") && error.message.contains("1024"))
        }
    }

    @Test("a frame of exactly maxFrameBytes is accepted and one byte more is not")
    func limitIsInclusive() throws {
        let parser = FrameParser(maxFrameBytes: 8)
        var ok = ByteBuffer(bytes: [0, 0, 0, 8] + [UInt8](repeating: 0x08, count: 8))
        #expect(try parser.nextPayload(from: &ok)?.readableBytes == 8)
        var tooBig = ByteBuffer(bytes: [0, 0, 0, 9])
        #expect(throws: FrameError.self) { try parser.nextPayload(from: &tooBig) }
    }

    @Test("a payload that is not a protobuf Frame is reported with its length and the protobuf error")
    func undecodablePayload() {
        let payload = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF])
        do {
            _ = try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .undecodable)
            #expect(error.message.contains("3 bytes") && error.message.contains("vigil.v1.Frame"))
        }
    }

    @Test("a string field with invalid UTF-8 is undecodable")
    func invalidUTF8() throws {
        // Frame.hello(1) { Hello.agent_id(2) = 0xC3 0x28 }
        let payload = ByteBuffer(bytes: [0x0A, 0x04, 0x12, 0x02, 0xC3, 0x28])
        #expect(throws: FrameError.self) { try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload) }
    }
}
