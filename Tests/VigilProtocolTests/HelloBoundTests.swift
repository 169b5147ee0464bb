import Foundation
import SwiftProtobuf
import Testing

@testable import VigilProtocol

@Suite("Hello bound")
struct HelloBoundTests {
    func hello(labels: Int) -> Vigil_V1_Frame {
        var hello = Vigil_V1_Hello()
        hello.protocolVersion = 1
        hello.agentID = "web-01"
        hello.streamID = Data(repeating: 7, count: 16)
        hello.labels = Dictionary(uniqueKeysWithValues: (0..<labels).map { ("k\($0)", "value-\($0)") })
        var frame = Vigil_V1_Frame()
        frame.hello = hello
        return frame
    }

    func length(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes(HelloBound.helloLength(in:)) }

    @Test("the Hello's length is read from the frame's top-level field without decoding it")
    func findsTheHelloLength() throws {
        let frame = hello(labels: 10_000)
        let bytes: [UInt8] = try frame.serializedBytes()
        let inner: [UInt8] = try frame.hello.serializedBytes()
        #expect(length(bytes) == inner.count)
        #expect(inner.count > WireProtocol.maxHelloBytes)
    }

    @Test("fields before the Hello are skipped by their wire type; frames without one have no Hello length")
    func skipsOtherFields() throws {
        let inner: [UInt8] = try hello(labels: 3).hello.serializedBytes()
        // An unknown varint field 9, an unknown fixed64 field 10, then the Hello (field 1).
        let prefixed: [UInt8] = [0x48, 0x96, 0x01, 0x51] + [UInt8](repeating: 0, count: 8) + [0x0A]
        let encoded = prefixed + varint(inner.count) + inner
        #expect(length(encoded) == inner.count)
        var batch = Vigil_V1_Frame()
        batch.batch.firstSeq = 1
        #expect(length(try batch.serializedBytes()) == 0)
        // An unknown group (field 7, with a varint inside) before the Hello is skipped as the decoder skips it.
        let grouped: [UInt8] = [0x3B, 0x08, 0x01, 0x3C, 0x0A] + varint(inner.count) + inner
        #expect(length(grouped) == inner.count)
        #expect(length([0xFF, 0xFF, 0xFF]) == nil)
        #expect(length([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == nil)
    }

    @Test("many Hello fields in one frame add up: protobuf merges them into one Hello")
    func addsUpRepeatedHellos() throws {
        let inner: [UInt8] = try hello(labels: 1000).hello.serializedBytes()
        let one = [UInt8(0x0A)] + varint(inner.count) + inner
        let many = Array([[UInt8]](repeating: one, count: 10).joined())
        #expect(inner.count < WireProtocol.maxHelloBytes && 10 * inner.count > WireProtocol.maxHelloBytes)
        #expect(length(many) == 10 * inner.count)
        // And the decoder does merge them: this is what the bound must count.
        let merged = try Vigil_V1_Frame(serializedBytes: many)
        #expect(merged.hello.labels.count == 1000)
    }

    func varint(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        var v = UInt64(value)
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        return out + [UInt8(v)]
    }
}
