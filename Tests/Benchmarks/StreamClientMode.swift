import Foundation
import NIOCore
import NIOPosix
import VigilAgent
import VigilProtocol

/// The `stream-client` mode: streams events to one agent socket for `seconds` and prints how many were
/// made durable. Without `rate` it writes as fast as the agent acknowledges (200,000 events per
/// connection); with `rate` it sends `rate / 10` events every 100 ms on schedule (catching up when an
/// acknowledgement came late). Events come from a pre-encoded template whose id and time bytes are
/// patched in place, so the client costs little of the shared CPU.
enum StreamClientMode {
    static func run(socket: String, seconds: Double, agent: Int, rate: Int?) async throws {
        let template = try Template(agent: agent)
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        let tick = Duration.milliseconds(100)
        let count = rate.map { max(1, $0 / 10) } ?? 200_000
        var sent = 0
        var durable: UInt64 = 0
        var next = start
        while ContinuousClock.now < deadline {
            if rate != nil {
                if next > ContinuousClock.now { try await Task.sleep(until: next) }
                next += tick
            }
            var chunks: [ByteBuffer] = []
            var chunk = ByteBuffer()
            for i in 0..<count {
                template.write(index: sent + i, into: &chunk)
                if chunk.readableBytes >= 256 << 10 {
                    chunks.append(chunk)
                    chunk = ByteBuffer()
                }
            }
            if chunk.readableBytes > 0 { chunks.append(chunk) }
            let ack = try await IngestClient.send(
                framedChunks: chunks, count: count, socketPath: socket, timeout: .seconds(300))
            durable += ack.durableCount
            sent += count
        }
        print("durable=\(durable) seconds=\((ContinuousClock.now - start).seconds)")
    }

    /// An encoded `Record` with an event whose id and time can be overwritten in place.
    struct Template {
        var bytes: [UInt8]
        var idOffset: Int
        var timeOffset: Int
        let timeLength: Int
        let baseTime: Int64
        let agent: Int

        init(agent: Int) throws {
            self.agent = agent
            baseTime = Int64(Date().timeIntervalSince1970) * 1_000_000_000
            var event = Vigil_V1_Event()
            let marker = Data([
                0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18, 0x29, 0x3A, 0x4B, 0x5C, 0x6D, 0x7E, 0x8F, 0x90,
            ])
            event.eventID = marker
            event.timeUnixNano = baseTime
            event.name = "request"
            event.outcome = .ok
            event.durationMs = 12.5
            event.attributes = ["route": "/api/cart"]
            var record = Vigil_V1_Record()
            record.event = event
            bytes = try record.serializedBytes()
            guard let id = Self.find(Array(marker), in: bytes) else { throw BenchError("template id not found") }
            idOffset = id
            var varint = ByteBuffer()
            varint.writeVarint(UInt64(baseTime))
            let encoded = Array(varint.readableBytesView)
            guard let time = Self.find([0x10] + encoded, in: bytes) else { throw BenchError("template time not found") }
            timeOffset = time + 1
            timeLength = encoded.count
        }

        func write(index: Int, into out: inout ByteBuffer) {
            var record = bytes
            withUnsafeBytes(of: (UInt64(agent) << 56 | UInt64(index)).bigEndian) {
                record.replaceSubrange(idOffset..<(idOffset + 8), with: $0)
            }
            // Times stay within the same varint length for any realistic run (ns since 1970, 9 bytes).
            var time = UInt64(baseTime + Int64(index) * 1000)
            for i in 0..<timeLength {
                record[timeOffset + i] = UInt8(truncatingIfNeeded: time) | (i < timeLength - 1 ? 0x80 : 0)
                time >>= 7
            }
            out.writeInteger(UInt32(record.count), endianness: .big)
            out.writeBytes(record)
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard needle.count <= haystack.count else { return nil }
            for start in 0...(haystack.count - needle.count)
            where Array(haystack[start..<(start + needle.count)]) == needle {
                return start
            }
            return nil
        }
    }
}
