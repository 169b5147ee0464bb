import Foundation
import NIOCore
import SwiftProtobuf
import VigilProtocol

/// Frame codec throughput: Batch frames of 1,000 events, encoded by swift-protobuf, assembled from
/// stored record bytes by `BatchFrameBuilder`, and decoded by `FrameParser` + `LengthPrefixedMessageDecoder`
/// (the hub's path: `RecordWireDecoder`, falling back to swift-protobuf).
enum CodecBenchmark {
    static let eventsPerBatch = 1000

    static func run() throws {
        let records = (0..<eventsPerBatch).map(makeRecord)
        let encodedRecords: [[UInt8]] = try records.map { try $0.serializedBytes() }
        var frame = Vigil_V1_Frame()
        frame.batch = .with {
            $0.firstSeq = 1
            $0.records = records
        }
        var wire = ByteBuffer()
        try wire.writeLengthPrefixedMessage(frame)
        let frameBytes = wire.readableBytes
        let batches = 400

        let encode = try measure(batches: batches) {
            var out = ByteBuffer()
            try out.writeLengthPrefixedMessage(frame)
            return out.readableBytes
        }
        let build = measure(batches: batches) {
            var builder = BatchFrameBuilder(firstSeq: 1, reservingCapacity: frameBytes)
            for bytes in encodedRecords { builder.append(encodedRecord: bytes) }
            var out = ByteBuffer()
            builder.write(into: &out)
            return out.readableBytes
        }
        let parser = FrameParser()
        let decode = try measure(batches: batches) {
            var input = wire
            guard let payload = try parser.nextPayload(from: &input) else { return 0 }
            let decoded = try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload)
            return decoded.batch.records.count == eventsPerBatch ? frameBytes : 0
        }

        Report.section("Frame codec (Batch of \(eventsPerBatch) events, \(frameBytes) bytes per frame)")
        Report.row("encode (swift-protobuf)", encode, batchEvents: eventsPerBatch)
        Report.row("build from stored bytes", build, batchEvents: eventsPerBatch)
        Report.row("decode (as the hub does)", decode, batchEvents: eventsPerBatch)
    }

    struct Figure {
        var seconds: Double
        var batches: Int
        var bytes: Int
    }

    static func measure(batches: Int, _ body: () throws -> Int) rethrows -> Figure {
        for _ in 0..<20 { _ = try body() }  // warm up
        let start = ContinuousClock.now
        var bytes = 0
        for _ in 0..<batches { bytes += try body() }
        let elapsed = ContinuousClock.now - start
        return Figure(seconds: elapsed.seconds, batches: batches, bytes: bytes)
    }

    static func makeRecord(_ i: Int) -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        event.eventID = Data((0..<16).map { UInt8(truncatingIfNeeded: i &* 131 &+ $0) })
        event.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i) * 1_000_000
        event.service = "checkout"
        event.version = "1.4.0"
        event.name = "request"
        event.outcome = i % 20 == 0 ? .error : .ok
        event.durationMs = Double(i % 700) + 0.5
        event.errorCategory = i % 20 == 0 ? "timeout" : ""
        event.attributes = ["peer.uid": "1000", "peer.pid": "4242", "route": "/api/cart"]
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
