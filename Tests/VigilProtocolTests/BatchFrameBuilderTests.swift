import NIOCore
import SwiftProtobuf
import Testing
import VigilProtocol

@Suite("Batch frames from stored record bytes")
struct BatchFrameBuilderTests {
    @Test(
        "the builder's bytes equal swift-protobuf's encoding of the same frame", arguments: [0, 1, 2, 127, 128, 1000])
    func matchesProtobufEncoding(count: Int) throws {
        for (firstSeq, backlog): (UInt64, UInt64) in [
            (1, 0), (127, 1), (128, 127), (300, 128), (UInt64.max - UInt64(count), UInt64.max),
        ] {
            let records = (0..<count).map(Samples.record)
            var builder = BatchFrameBuilder(firstSeq: firstSeq)
            for record in records {
                let bytes: [UInt8] = try record.serializedBytes()
                builder.append(encodedRecord: bytes)
            }
            let withoutBacklog = builder.frameBytes
            builder.backlogRecords = backlog
            // The room readBatch keeps for the backlog is enough for any value.
            #expect(builder.frameBytes - withoutBacklog <= BatchFrameBuilder.backlogFieldMaxBytes)
            var built = ByteBuffer()
            builder.write(into: &built)
            #expect(built.readableBytes == builder.frameBytes)

            let expected = try Samples.framed(
                Samples.frame(
                    .batch(
                        .with {
                            $0.firstSeq = firstSeq; $0.records = records; $0.backlogRecords = backlog
                        }))
            )
            #expect(built == expected, "count \(count) firstSeq \(firstSeq) backlog \(backlog)")
        }
    }

    @Test("frameBytes(adding:) predicts the size after the next record")
    func predictsSize() throws {
        var builder = BatchFrameBuilder(firstSeq: 1)
        for i in 0..<300 {
            let bytes: [UInt8] = try Samples.record(i).serializedBytes()
            let predicted = builder.frameBytes(adding: bytes.count)
            builder.append(encodedRecord: bytes)
            #expect(builder.frameBytes == predicted)
        }
        #expect(builder.recordCount == 300)
    }

    @Test("varint sizes match the encoding", arguments: [0, 1, 127, 128, 16383, 16384, UInt64(UInt32.max), UInt64.max])
    func varintSize(value: UInt64) {
        var buffer = ByteBuffer()
        buffer.writeVarint(value)
        #expect(buffer.readableBytes == ByteBuffer.varintSize(value))
    }
}
