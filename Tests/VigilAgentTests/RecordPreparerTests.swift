import Foundation
import Testing
import VigilProtocol

@testable import VigilAgent

@Suite("Record preparation")
struct RecordPreparerTests {
    let preparer = RecordPreparer(service: "checkout", version: "1.4.0")

    @Test("stored bytes are the client's bytes plus a suffix that decodes to the filled-in record")
    func suffixMerges() throws {
        var event = Vigil_V1_Event()
        event.name = "request"
        event.durationMs = 3
        event.attributes = ["route": "/cart", "peer.pid": "1"]
        var record = Vigil_V1_Record()
        record.event = event
        let original: [UInt8] = try record.serializedBytes()
        let id = Data(repeating: 0xAB, count: 16)
        var cache = RecordPreparer.SuffixCache()
        let stored = try preparer.prepare(
            decoded: record,
            original: original,
            peer: PeerCredentials(uid: 1000, pid: 4242),
            nowUnixNano: 42,
            cache: &cache,
            newEventID: { id }
        )
        #expect(Array(stored.prefix(original.count)) == original)
        let decoded = try Vigil_V1_Record(serializedBytes: stored)
        #expect(decoded.event.eventID == id && decoded.event.timeUnixNano == 42)
        #expect(decoded.event.service == "checkout" && decoded.event.version == "1.4.0")
        #expect(decoded.event.attributes == ["route": "/cart", "peer.pid": "4242", "peer.uid": "1000"])
        #expect(decoded.event.name == "request" && decoded.event.durationMs == 3)
    }

    @Test("a complete record from the same peer is stored byte for byte")
    func nothingToFill() throws {
        var record = IngestHarness.event(1)
        record.event.service = "search"
        record.event.version = "2.0.0"
        record.event.attributes = ["peer.uid": "7", "peer.pid": "8"]
        let original: [UInt8] = try record.serializedBytes()
        var cache = RecordPreparer.SuffixCache()
        let stored = try preparer.prepare(
            decoded: record, original: original, peer: PeerCredentials(uid: 7, pid: 8), nowUnixNano: 1, cache: &cache,
            newEventID: { Data() })
        #expect(stored == original)
    }

    @Test("events with their own id and time share one cached suffix that decodes like the slow path")
    func cachedSuffixMatchesSlowPath() throws {
        var cache = RecordPreparer.SuffixCache()
        let peer = PeerCredentials(uid: 1000, pid: 99)
        for i in 0..<3 {
            var record = IngestHarness.event(i)
            record.event.attributes = ["route": "/r\(i)"]
            let original: [UInt8] = try record.serializedBytes()
            let fast = try preparer.prepare(
                decoded: record, original: original, peer: peer, nowUnixNano: 1, cache: &cache, newEventID: { Data() })
            let slow = try preparer.prepare(record: record, peer: peer, nowUnixNano: 1, newEventID: { Data() })
            #expect(try Vigil_V1_Record(serializedBytes: fast) == Vigil_V1_Record(serializedBytes: slow))
        }
        #expect(cache.byMask.count == 1)
        var full = IngestHarness.event(9)
        for k in 0..<63 { full.event.attributes["k\(k)"] = "v" }
        #expect(throws: ValidationError.self, "63 attributes plus the two peer ones exceed 64") {
            _ = try preparer.prepare(
                decoded: full, original: try full.serializedBytes() as [UInt8], peer: peer, nowUnixNano: 1,
                cache: &cache,
                newEventID: { Data() })
        }
    }

    @Test("an invalid record is refused with the field named")
    func invalidRefused() {
        var record = IngestHarness.event(1)
        record.event.durationMs = -5
        #expect(throws: ValidationError.self) {
            _ = try preparer.prepare(record: record, peer: nil, nowUnixNano: 1, newEventID: { Data(count: 16) })
        }
    }

    @Test("samples get the time and the agent's service and version labels unless they have them")
    func sampleDefaults() throws {
        var sample = Vigil_V1_Sample()
        sample.metric = "queue.depth"
        sample.value = 3
        sample.labels = ["version": "9.9.9"]
        var record = Vigil_V1_Record()
        record.sample = sample
        var cache = RecordPreparer.SuffixCache()
        let bytes = try preparer.prepare(
            decoded: record, original: try record.serializedBytes() as [UInt8], peer: nil, nowUnixNano: 5,
            cache: &cache,
            newEventID: { Data() })
        let decoded = try Vigil_V1_Record(serializedBytes: bytes)
        #expect(decoded.sample.timeUnixNano == 5)
        #expect(decoded.sample.labels == ["service": "checkout", "version": "9.9.9"])
    }
}
