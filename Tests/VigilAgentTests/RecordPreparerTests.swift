import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

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

    @Test("a record for a service the certificate (certs.sh --service) does not allow is refused at ingest")
    func certificateServicesRefuse() throws {
        let directory = try TestCertificates.directory()
        let checkout = try CertificateServices.read(certificateFile: "\(directory)/agent-checkout-01.pem")
        #expect(checkout == .only(["checkout", "checkout-worker"]))
        #expect(try CertificateServices.read(certificateFile: "\(directory)/agent-fleet-01.pem") == .all)
        #expect(try CertificateServices.read(certificateFile: "\(directory)/agent-web-01.pem") == .all)

        let services = CertificateServices(checkout)
        let guarded = RecordPreparer(service: "checkout", version: "1.4.0", services: services)
        var cache = RecordPreparer.SuffixCache()
        func prepare(_ record: Vigil_V1_Record) throws(ValidationError) -> [UInt8] {
            let original: [UInt8] = (try? record.serializedBytes()) ?? []
            return try guarded.prepare(
                decoded: record, original: original, peer: nil, nowUnixNano: 1, cache: &cache,
                newEventID: { Data(count: 16) })
        }
        var payments = IngestHarness.event(1)
        payments.event.service = "payments"
        // The fast path (id and time given), the slow one (no id), and the JSON path.
        for record in [
            payments,
            {
                var r = payments; r.event.eventID = Data(); return r
            }(),
        ] {
            do {
                _ = try prepare(record)
                Issue.record("a payments event was accepted")
            } catch {
                #expect(error.code == .unauthorized && error.field == "event.service")
                #expect(
                    error.message.contains(#"service "payments""#)
                        && error.message.contains("checkout, checkout-worker"))
            }
        }
        #expect(throws: ValidationError.self) {
            _ = try guarded.prepare(record: payments, peer: nil, nowUnixNano: 1, newEventID: { Data(count: 16) })
        }
        var sample = Vigil_V1_Record()
        sample.sample.metric = "queue.depth"
        sample.sample.value = 3
        sample.sample.labels = ["service": "payments"]
        #expect(throws: ValidationError.self) { _ = try prepare(sample) }
        // The agent's own service (filled in when the event names none) and the other granted one pass.
        _ = try prepare(IngestHarness.event(2))
        var worker = IngestHarness.event(3)
        worker.event.service = "checkout-worker"
        _ = try prepare(worker)
        // A rotated certificate applies at once.
        services.update(.all)
        _ = try prepare(payments)
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

    @Test("a retried event with the client's id and no time gets the first attempt's time; new ids get now")
    func retryKeepsTime() throws {
        var record = IngestHarness.event(1)
        record.event.timeUnixNano = 0
        let first = try Vigil_V1_Record(
            serializedBytes: preparer.prepare(record: record, peer: nil, nowUnixNano: 100, newEventID: { Data() }))
        let retry = try Vigil_V1_Record(
            serializedBytes: preparer.prepare(record: record, peer: nil, nowUnixNano: 900, newEventID: { Data() }))
        #expect(first.event.timeUnixNano == 100 && retry.event.timeUnixNano == 100)
        // The binary path shares the memory.
        var cache = RecordPreparer.SuffixCache()
        let binary = try Vigil_V1_Record(
            serializedBytes: preparer.prepare(
                decoded: record, original: try record.serializedBytes() as [UInt8], peer: nil, nowUnixNano: 950,
                cache: &cache, newEventID: { Data() }))
        #expect(binary.event.timeUnixNano == 100)
        // Without a client id there is nothing to retry: every event gets its own id and the time now.
        record.event.eventID = Data()
        let fresh = try Vigil_V1_Record(
            serializedBytes: preparer.prepare(
                record: record, peer: nil, nowUnixNano: 1000, newEventID: { Data(repeating: 7, count: 16) }))
        #expect(fresh.event.timeUnixNano == 1000)
    }

    @Test("the time memory forgets the oldest id first and stays within its capacity")
    func stampedTimesBounded() {
        let times = StampedTimes(capacity: 3)
        func id(_ n: UInt8) -> Data { Data(repeating: n, count: 16) }
        for n in 1...3 { #expect(times.time(for: id(UInt8(n)), now: Int64(n)) == Int64(n)) }
        #expect(times.time(for: id(1), now: 50) == 1)
        #expect(times.time(for: id(4), now: 4) == 4)  // evicts id 1, the oldest
        #expect(times.count == 3)
        #expect(times.time(for: id(1), now: 60) == 60)
        #expect(times.time(for: id(3), now: 70) == 3)
        #expect(times.time(for: Data([1, 2, 3]), now: 80) == 80)  // not an id the hub would accept
        #expect(times.count == 3)
    }
}
