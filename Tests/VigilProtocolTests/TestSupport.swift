import Foundation
import NIOCore
import SwiftProtobuf
import VigilProtocol

/// SplitMix64: a small, seeded generator so every randomized test is reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Samples {
    static func event(_ i: Int, attributes: [String: String] = ["region": "eu-west-1"]) -> Vigil_V1_Event {
        var event = Vigil_V1_Event()
        event.eventID = Data((0..<16).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) })
        event.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i) * 1_000_000
        event.service = "checkout"
        event.version = "1.4.0"
        event.name = "request"
        event.outcome = i % 10 == 0 ? .error : .ok
        event.durationMs = Double(i % 500) + 0.25
        event.errorCategory = i % 10 == 0 ? "timeout" : ""
        event.attributes = attributes
        return event
    }

    static func record(_ i: Int) -> Vigil_V1_Record {
        var record = Vigil_V1_Record()
        if i % 4 == 3 {
            var sample = Vigil_V1_Sample()
            sample.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i)
            sample.metric = "cpu.utilization"
            sample.value = Double(i % 100) / 100
            sample.labels = ["service": "checkout", "version": "1.4.0"]
            record.sample = sample
        } else {
            record.event = event(i)
        }
        return record
    }

    static func frame(_ body: Vigil_V1_Frame.OneOf_Body) -> Vigil_V1_Frame {
        var frame = Vigil_V1_Frame()
        frame.body = body
        return frame
    }

    static func framed(_ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try buffer.writeLengthPrefixedMessage(message)
        return buffer
    }
}
