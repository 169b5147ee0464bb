import Foundation
import NIOCore
import SwiftProtobuf
import Testing
import VigilProtocol

/// The ingest fast path against swift-protobuf: whatever ``RecordWireDecoder`` returns must be what
/// swift-protobuf decodes from the same bytes, and what it declines must still decode (or fail) through
/// ``LengthPrefixedMessageDecoder`` exactly as swift-protobuf alone would.
@Suite("Record wire decoder")
struct RecordWireDecoderTests {
    static func canonicalRecords() -> [Vigil_V1_Record] {
        var records = (0..<64).map(Samples.record)
        var wide = Samples.event(7, attributes: Dictionary(uniqueKeysWithValues: (0..<64).map { ("k\($0)", "v\($0)") }))
        wide.service = "çheckout-ß-日本"
        wide.durationMs = .nan
        records.append(.with { $0.event = wide })
        var bare = Vigil_V1_Event()
        bare.timeUnixNano = -5  // a negative varint takes ten bytes
        bare.attributes = ["": ""]  // an entry with neither key nor value on the wire
        records.append(.with { $0.event = bare })
        records.append(
            .with {
                $0.sample = .with {
                    $0.metric = "disk.free"; $0.value = -0.0
                }
            })
        records.append(Vigil_V1_Record())
        return records
    }

    static func bytes(_ message: some SwiftProtobuf.Message) throws -> [UInt8] { try message.serializedBytes() }

    /// Equal messages, compared by their deterministic encoding: `==` fails on a NaN duration, and
    /// a NaN's bits must survive too.
    static func same<M: SwiftProtobuf.Message>(_ a: M?, _ b: M?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let encoded = { (m: M) in try? m.serializedBytes(options: options) as [UInt8] }
        return encoded(a) != nil && encoded(a) == encoded(b)
    }

    static func fast(_ bytes: [UInt8]) -> Vigil_V1_Record? {
        bytes.withUnsafeBytes { RecordWireDecoder.record($0) }
    }

    static func fastFrame(_ bytes: [UInt8]) -> Vigil_V1_Frame? {
        bytes.withUnsafeBytes { RecordWireDecoder.frame($0) }
    }

    @Test("canonical records and batch frames decode on the fast path to swift-protobuf's value")
    func canonical() throws {
        let records = Self.canonicalRecords()
        for record in records {
            let encoded = try Self.bytes(record)
            let fast = try #require(Self.fast(encoded), "fast path declined \(record)")
            #expect(Self.same(fast, try Vigil_V1_Record(serializedBytes: encoded)))
            #expect(Self.same(fast, record))
        }
        let frame = Samples.frame(
            .batch(
                .with {
                    $0.firstSeq = 300; $0.records = records
                }))
        let encoded = try Self.bytes(frame)
        #expect(Self.same(Self.fastFrame(encoded), frame))
    }

    @Test("a body given twice is merged as swift-protobuf merges it")
    func merges() throws {
        let event = try Self.bytes(Vigil_V1_Record.with { $0.event = Samples.event(1) })
        let change = try Self.bytes(
            Vigil_V1_Record.with {
                $0.event = .with {
                    $0.timeUnixNano = 42; $0.attributes = ["peer.uid": "1000", "region": "us"]
                }
            })
        let sample = try Self.bytes(
            Vigil_V1_Record.with {
                $0.sample = .with {
                    $0.metric = "cpu"; $0.value = 1
                }
            })
        let cases: [(String, [UInt8])] = [
            ("an agent's change appended to an event", event + change),
            ("event given twice", event + event),
            ("sample then event (the event replaces it)", sample + event),
            ("event then sample (the sample replaces it)", event + sample),
            ("sample given twice", sample + sample),
        ]
        for (name, bytes) in cases {
            let fast = try #require(Self.fast(bytes), "\(name): the fast path declined it")
            #expect(Self.same(fast, try Vigil_V1_Record(serializedBytes: bytes)), "\(name)")
        }
        let merged = try #require(Self.fast(event + change)?.event)
        #expect(merged.timeUnixNano == 42 && merged.service == "checkout")
        #expect(merged.attributes == ["region": "us", "peer.uid": "1000"])
    }

    @Test("what the fast path declines decodes through swift-protobuf as before")
    func fallsBack() throws {
        let event = try Self.bytes(Vigil_V1_Record.with { $0.event = Samples.event(1) })
        let unknownField: [UInt8] = [0x78, 0x01]  // field 15, varint 1
        let outcome9: [UInt8] = [0x12, 0x02, 0x30, 0x09]  // event { outcome: 9 }
        let cases: [(String, [UInt8])] = [
            ("unknown field in the record", event + unknownField),
            ("unknown outcome", outcome9),
            ("ten-byte tag with high bits", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("string that is not UTF-8", [0x12, 0x03, 0x1A, 0x01, 0xC3]),
        ]
        for (name, bytes) in cases {
            #expect(Self.fast(bytes) == nil, "\(name): the fast path must decline it")
            let reference = try? Vigil_V1_Record(serializedBytes: bytes)
            let decoded = try? LengthPrefixedMessageDecoder<Vigil_V1_Record>.decodeMessage(ByteBuffer(bytes: bytes))
            #expect(Self.same(decoded, reference), "\(name)")
        }
        // A batch whose one record needs the fallback still decodes on the frame's fast path.
        var batch = try Self.bytes(Vigil_V1_Batch.with { $0.firstSeq = 1 })
        batch += [0x12, UInt8(event.count + 2)] + event + unknownField
        let frame: [UInt8] = [0x1A, UInt8(batch.count)] + batch
        #expect(Self.same(Self.fastFrame(frame), try Vigil_V1_Frame(serializedBytes: frame)))
    }

    @Test("mutated bytes: the fast path never returns a value swift-protobuf would not", arguments: [1, 2, 3])
    func mutations(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let records = try Self.canonicalRecords().map(Self.bytes)
        let frames = try (0..<4).map { n in
            try Self.bytes(
                Samples.frame(
                    .batch(
                        .with {
                            $0.firstSeq = UInt64(n + 1); $0.records = (0..<(n + 1)).map(Samples.record)
                        })))
        }
        var accepted = 0
        for iteration in 0..<20_000 {
            let original =
                iteration % 2 == 0 ? records.randomElement(using: &random)! : frames.randomElement(using: &random)!
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty:
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                case 1 where !bytes.isEmpty:
                    bytes.removeLast(Int.random(in: 1...min(8, bytes.count), using: &random))
                case 2:
                    bytes.insert(
                        UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
                default:
                    bytes += original.prefix(Int.random(in: 0...original.count, using: &random))
                }
            }
            if iteration % 2 == 0 {
                if let fast = Self.fast(bytes) {
                    accepted += 1
                    #expect(Self.same(fast, try? Vigil_V1_Record(serializedBytes: bytes)), "bytes \(bytes)")
                }
            } else if let fast = Self.fastFrame(bytes) {
                accepted += 1
                #expect(Self.same(fast, try? Vigil_V1_Frame(serializedBytes: bytes)), "bytes \(bytes)")
            }
        }
        #expect(accepted > 500, "the mutations should leave some messages the fast path takes")
    }
}
