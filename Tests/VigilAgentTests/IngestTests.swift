import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

@testable import VigilAgent

@Suite("Ingest socket")
struct IngestTests {
    @Test("binary events are acknowledged after commit with defaults and peer credentials filled in")
    func binaryEventsDurable() async throws {
        let harness = try await IngestHarness()
        var records = (0..<200).map { IngestHarness.event($0) }
        records[0].event.eventID = Data()  // the agent chooses one
        records[1].event.timeUnixNano = 0  // the agent stamps it
        records[2].event.attributes["peer.uid"] = "0"  // a client cannot claim another uid
        let ack = try await IngestClient.send(
            framedChunks: IngestClient.frame(records), count: 200, socketPath: harness.socketPath)
        #expect(ack.durableCount == 200 && ack.rejectedCount == 0)
        let stored = try await harness.storedRecords()
        #expect(stored.count == 200)
        for record in stored {
            #expect(record.event.service == "checkout" && record.event.version == "1.4.0")
            #expect(record.event.attributes["peer.uid"] == String(getuid()))
            #expect(record.event.attributes["peer.pid"] == String(getpid()))
            #expect(record.event.eventID.count == 16 && record.event.timeUnixNano > 0)
        }
        #expect(stored[2].event.attributes["peer.uid"] == String(getuid()))
        await harness.shutdown()
    }

    @Test("the socket is created with mode 0660")
    func socketMode() async throws {
        let harness = try await IngestHarness()
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.socketPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o660)
        await harness.shutdown()
    }

    @Test(
        "oversize, zero-length, undecodable and invalid binary frames are refused with a reason and the connection stays usable"
    )
    func malformedBinaryFrames() async throws {
        let harness = try await IngestHarness(maxFrameBytes: 1024)
        let client = try UnixSocketClient(path: harness.socketPath)
        var badID = IngestHarness.event(1)
        badID.event.eventID = Data([1, 2, 3])
        var bytes: [UInt8] = []
        bytes += try IngestHarness.frame(IngestHarness.event(1))
        bytes += [0, 0, 0x10, 0] + [UInt8](repeating: 0x41, count: 4096)  // 4 KiB frame over a 1 KiB limit
        bytes += [0, 0, 0, 0]  // zero length
        bytes += [0, 0, 0, 3, 0xFF, 0xFF, 0xFF]  // not a Record
        bytes += try IngestHarness.frame(badID)
        bytes += try IngestHarness.frame(IngestHarness.event(2))
        try client.send(bytes)
        let acks = try IngestHarness.decodeAcks(
            try await onThread {
                try client.receive { raw in
                    (try? IngestHarness.decodeAcks(raw).last.map { $0.durableCount + $0.rejectedCount >= 6 }) == true
                }
            })
        let last = try #require(acks.last)
        #expect(last.durableCount == 2 && last.rejectedCount == 4)
        // last_rejection carries the most recent refusal: here the event with a 3-byte id.
        #expect(last.lastRejection.contains("event_id"))
        // Still usable afterwards.
        try client.send(try IngestHarness.frame(IngestHarness.event(3)))
        let after = try IngestHarness.decodeAcks(
            try await onThread {
                try client.receive { raw in (try? IngestHarness.decodeAcks(raw).last?.durableCount) == 3 }
            })
        #expect(after.last?.durableCount == 3)
        #expect(harness.stats.snapshot.rejected["too_large"] == 1 && harness.stats.snapshot.rejected["invalid"] == 1)
        #expect(try await harness.storedRecords().count == 3)
        await harness.shutdown()
    }

    @Test(
        "JSON lines are answered in order, bad lines with the reason, and a too-long line does not break the connection"
    )
    func jsonLines() async throws {
        let harness = try await IngestHarness(maxLineBytes: 256)
        let client = try UnixSocketClient(path: harness.socketPath)
        let long = "{\"name\":\"" + String(repeating: "x", count: 1000) + "\"}"
        try client.send(
            """
            {"name":"request","outcome":"error","duration_ms":12.5,"error_category":"timeout","attributes":{"route":"/cart"}}
            {"name":"request","outcome":"maybe"}
            \(long)
            not json
            {"metric":"queue.depth","value":4,"labels":{"queue":"jobs"}}
            {"name":"request","event_id":"00112233445566778899aabbccddeeff","time_unix_nano":1700000000000000000}
            {"name":"request","event_id":"0011"}

            """
        )
        let replies = try await onThread { try client.receiveLines(7) }
        #expect(replies[0] == "{\"ok\":true}")
        #expect(replies[1].contains("\"ok\":false") && replies[1].contains("outcome"))
        #expect(replies[2].contains("max_line_bytes"))
        #expect(replies[3].contains("not valid JSON"))
        #expect(replies[4] == "{\"ok\":true}" && replies[5] == "{\"ok\":true}")
        #expect(replies[6].contains("event_id"))
        let stored = try await harness.storedRecords()
        #expect(stored.count == 3)
        #expect(
            stored[0].event.outcome == .error && stored[0].event.errorCategory == "timeout"
                && stored[0].event.attributes["route"] == "/cart")
        #expect(stored[1].sample.metric == "queue.depth" && stored[1].sample.labels["service"] == "checkout")
        #expect(
            stored[2].event.eventID
                == Data([
                    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
                ]))
        await harness.shutdown()
    }

    @Test("records refused at a full buffer are reported to the client")
    func fullBufferReported() async throws {
        let harness = try await IngestHarness(maxBytes: 4096, whenFull: .rejectNew)
        let records = (0..<200).map { IngestHarness.event($0) }
        let ack = try await IngestClient.send(
            framedChunks: IngestClient.frame(records), count: 200, socketPath: harness.socketPath)
        #expect(ack.durableCount > 0 && ack.rejectedCount > 0 && ack.durableCount + ack.rejectedCount == 200)
        #expect(ack.lastRejection.contains("buffer full"))
        await harness.shutdown()
    }
}
