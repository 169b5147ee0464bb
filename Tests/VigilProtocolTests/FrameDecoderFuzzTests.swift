import NIOCore
import NIOEmbedded
import SwiftProtobuf
import Testing
import VigilProtocol

/// Seeded random and mutated byte streams through the real NIO decoder. The property: nothing
/// crashes, every rejection is a `FrameError`, and every frame that decodes can be validated
/// (accepted or refused with a `ValidationError`) without a crash.
@Suite("Frame decoder fuzzing")
struct FrameDecoderFuzzTests {
    static let iterations = 10_000
    static let maxFrameBytes = 4096

    /// Valid streams to mutate: every frame kind, alone and several in a row.
    static func corpus() throws -> [[UInt8]] {
        let frames: [Vigil_V1_Frame] = [
            Samples.frame(
                .hello(
                    .with {
                        $0.protocolVersion = 1; $0.agentID = "web-01"; $0.streamID = .init(count: 16)
                        $0.hostname = "höst"; $0.labels = ["service": "checkout", "version": "1.4.0"]
                    })),
            Samples.frame(
                .welcome(
                    .with {
                        $0.protocolVersion = 1; $0.resumeAfterSeq = 99; $0.hubID = "hub"
                    })),
            Samples.frame(
                .batch(
                    .with {
                        $0.firstSeq = 1; $0.records = (0..<8).map(Samples.record)
                    })),
            Samples.frame(.ack(.with { $0.throughSeq = 1234 })),
            Samples.frame(
                .reject(
                    .with {
                        $0.code = .protocol; $0.message = "bad"
                    })),
        ]
        var streams: [[UInt8]] = []
        for frame in frames {
            var buffer = ByteBuffer()
            try buffer.writeLengthPrefixedMessage(frame)
            streams.append(Array(buffer.readableBytesView))
        }
        streams.append(streams.flatMap { $0 })
        return streams
    }

    static func mutate(_ input: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:  // overwrite a byte
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:  // insert random bytes
                let at = Int.random(in: 0...bytes.count, using: &rng)
                bytes.insert(
                    contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }, at: at)
            case 3 where bytes.count > 1:  // truncate
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            case 4 where bytes.count >= 4:  // tamper with the length prefix
                let length = [
                    UInt32(0), 1, UInt32.max, UInt32(maxFrameBytes), UInt32(maxFrameBytes + 1),
                    UInt32.random(in: 0...64, using: &rng),
                ]
                .randomElement(using: &rng)!
                bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian, Array.init))
            case 5 where bytes.count > 8:  // delete a run
                let start = Int.random(in: 4..<bytes.count, using: &rng)
                bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &rng)))
            default:  // duplicate a run (repeated fields, nested garbage)
                guard !bytes.isEmpty else { break }
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let run = bytes[start..<min(bytes.count, start + Int.random(in: 1...32, using: &rng))]
                bytes.insert(contentsOf: run, at: Int.random(in: 0...bytes.count, using: &rng))
            }
        }
        return bytes
    }

    @Test("10,000 seeded random and mutated streams never crash and are rejected only with FrameError")
    func randomAndMutatedStreams() throws {
        var rng = SeededGenerator(seed: 0x5EED_F00D)
        let corpus = try Self.corpus()
        let validator = RecordValidator()
        var rejections: [FrameError.Code: Int] = [:]
        var decodedFrames = 0
        var validated = 0

        for i in 0..<Self.iterations {
            let stream: [UInt8]
            if i % 4 == 0 {
                stream = (0..<Int.random(in: 0...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                stream = Self.mutate(corpus.randomElement(using: &rng)!, using: &rng)
            }
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_Frame>(maxFrameBytes: Self.maxFrameBytes))
            )
            var offset = 0
            var failed = false
            while offset < stream.count && !failed {
                let chunk = Int.random(in: 1...64, using: &rng)
                let end = min(stream.count, offset + chunk)
                do {
                    try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
                } catch let error as FrameError {
                    rejections[error.code, default: 0] += 1
                    failed = true
                } catch {
                    Issue.record("iteration \(i): untyped error \(type(of: error)): \(error)")
                    failed = true
                }
                offset = end
            }
            while let frame = try channel.readInbound(as: Vigil_V1_Frame.self) {
                decodedFrames += 1
                if case .batch(let batch) = frame.body {
                    for record in batch.records {
                        do { try validator.validate(record) } catch { _ = error.field }
                        validated += 1
                    }
                }
            }
            if !failed {
                do {
                    _ = try channel.finish()
                } catch let error as FrameError {
                    rejections[error.code, default: 0] += 1
                } catch {
                    Issue.record("iteration \(i): untyped error at EOF \(type(of: error)): \(error)")
                }
            }
        }
        // The mutations must actually exercise every rejection path, or this test proves little.
        #expect(rejections[.zeroLength, default: 0] > 0)
        #expect(rejections[.tooLarge, default: 0] > 0)
        #expect(rejections[.undecodable, default: 0] > 0)
        #expect(rejections[.truncated, default: 0] > 0)
        #expect(decodedFrames > 0 && validated > 0)
        print(
            "fuzz: \(Self.iterations) streams, \(decodedFrames) frames decoded, \(validated) records validated, rejections \(rejections.map { "\($0.key)=\($0.value)" }.sorted())"
        )
    }
}
