import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

@testable import VigilAgent

@Suite("Shipper over mutual TLS", .serialized)
struct ShipperTests {
    struct Setup {
        let directory: String
        let buffer: RecordBuffer
        let receiver: TestReceiver
        let shipper: Shipper

        init(records: Int, batchRecords: Int = 25, agent: String = "web-01") async throws {
            let certificates = try TestCertificates.directory()
            directory = try makeTemporaryDirectory("shipper")
            buffer = try RecordBuffer.open(BufferOptions(path: "\(directory)/agent.db"), nowUnixNano: 1)
            let encoded: [[UInt8]] = try (0..<records).map { try IngestHarness.event($0).serializedBytes() }
            _ = try await buffer.append([encoded]).get()
            receiver = try await TestReceiver(certificates: certificates)
            var options = ShipperOptions(
                agentID: agent,
                labels: ["service": "checkout", "version": "1.4.0"],
                hostname: "test-host",
                endpoints: [.init(host: "127.0.0.1", port: receiver.port)]
            )
            options.maxBatchRecords = batchRecords
            options.backoffBase = .milliseconds(10)
            options.backoffCap = .milliseconds(200)
            options.drainTimeout = .milliseconds(100)
            let tls = ClientTLS(
                files: .init(
                    ca: "\(certificates)/ca.pem", cert: "\(certificates)/agent-\(agent).pem",
                    key: "\(certificates)/agent-\(agent).key"))
            shipper = Shipper(options: options, buffer: buffer, tls: tls)
        }

        func run(until condition: () async throws -> Bool) async rethrows -> Bool {
            let shipper = self.shipper
            let task = Task { await shipper.run() }
            let met = try await eventually(20, condition)
            task.cancel()
            await task.value
            return met
        }

        func finish() async {
            await receiver.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test("an agent configured for larger batches than the hub takes caps them at the hub's Welcome and ships all")
    func capsBatchesAtTheHubsLimit() async throws {
        let setup = try await Setup(records: 500, batchRecords: 100_000)
        setup.receiver.faults.withLock { $0.maxBatchRecords = 40 }
        let done = await setup.run { setup.buffer.stats.records == 0 }
        #expect(done)
        let stored = setup.receiver.stored.withLock { $0 }
        #expect(stored.records.count == 500 && stored.batches >= 13)
        #expect(setup.shipper.stats.snapshot.rejects.isEmpty)
        #expect(stored.hellos.count == 1)
        await setup.finish()
    }

    @Test("a hub that welcomes and then refuses every batch does not reset the backoff")
    func refusedBatchesBackOff() async throws {
        let setup = try await Setup(records: 50, batchRecords: 25)
        // Welcome says nothing of a limit (an older hub) yet refuses every batch of more than one record.
        setup.receiver.faults.withLock {
            $0.maxBatchRecords = 1
            $0.announcesLimit = false
        }
        let shipper = setup.shipper
        let task = Task { await shipper.run() }
        try await Task.sleep(for: .seconds(3))
        task.cancel()
        await task.value
        // With the backoff reset at every Welcome the agent reconnected every few ms (base 10 ms); growing to
        // its 200 ms cap it connects about 3 s / 100 ms (the mean full-jitter wait) ≈ 30 times at most.
        let hellos = setup.receiver.stored.withLock { $0.hellos.count }
        #expect(hellos < 60, "\(hellos) connections in 3 s")
        await setup.finish()
    }

    @Test("every record is shipped once, in seq order, and deleted after the ack")
    func shipsEverything() async throws {
        let setup = try await Setup(records: 500)
        let done = await setup.run { setup.buffer.stats.records == 0 }
        #expect(done)
        let stored = setup.receiver.stored.withLock { $0 }
        #expect(stored.hwm == 500 && stored.records.count == 500 && stored.duplicates == 0)
        #expect(stored.hellos.first?.agentID == "web-01" && stored.hellos.first?.streamID == setup.buffer.streamID)
        #expect(stored.hellos.first?.labels["service"] == "checkout")
        #expect(setup.shipper.stats.snapshot.recordsAcked == 500)
        #expect(setup.buffer.stats.counters.shipped == 500)
        await setup.finish()
    }

    @Test("after a restart with a backlog the agent resumes from the hub's seq and resends nothing it has")
    func resumesFromHubSeq() async throws {
        let setup = try await Setup(records: 150)
        // The hub already stored 1...100 (the agent died before deleting them).
        setup.receiver.stored.withLock { $0.hwm = 100 }
        let done = await setup.run { setup.buffer.stats.records == 0 }
        #expect(done)
        let stored = setup.receiver.stored.withLock { $0 }
        #expect(stored.duplicates == 0)
        #expect(Set(stored.records.keys) == Set(101...150))
        await setup.finish()
    }

    @Test("a hub that drops the connection mid-batch gets the batch again and loses nothing")
    func resendsAfterDrop() async throws {
        let setup = try await Setup(records: 300, batchRecords: 20)
        setup.receiver.faults.withLock { $0.closeOnBatches = [2, 5, 9] }
        let done = await setup.run { setup.buffer.stats.records == 0 }
        #expect(done)
        let stored = setup.receiver.stored.withLock { $0 }
        #expect(Set(stored.records.keys) == Set(1...300))
        let expected = (0..<300).map { IngestHarness.event($0).event.eventID }
        #expect(setup.receiver.eventIDs == Set(expected))
        #expect(setup.shipper.stats.snapshot.connectionFailures >= 3)
        await setup.finish()
    }

    @Test("a Reject from the hub is counted by code and the records stay buffered")
    func rejectCounted() async throws {
        let setup = try await Setup(records: 10)
        setup.receiver.faults.withLock { $0.rejectHello = .unauthorized }
        let rejected = await setup.run { (setup.shipper.stats.snapshot.rejects["unauthorized"] ?? 0) >= 2 }
        #expect(rejected)
        #expect(setup.buffer.stats.records == 10)
        #expect(setup.shipper.stats.snapshot.lastError?.contains("unauthorized") == true)
        await setup.finish()
    }

    @Test("a hub whose certificate is not from the configured CA is refused by the agent")
    func wrongHubCARefused() async throws {
        let setup = try await Setup(records: 5)
        let other = try makeTemporaryDirectory("otherca")
        try TestCertificates.make(into: other, arguments: ["--agent", "web-01"])
        let options = ShipperOptions(
            agentID: "web-01", labels: [:], hostname: "h",
            endpoints: [.init(host: "127.0.0.1", port: setup.receiver.port)])
        let tls = ClientTLS(
            files: .init(ca: "\(other)/ca.pem", cert: "\(other)/agent-web-01.pem", key: "\(other)/agent-web-01.key"))
        let shipper = Shipper(options: options, buffer: setup.buffer, tls: tls)
        let task = Task { await shipper.run() }
        let failed = await eventually { shipper.stats.snapshot.connectionFailures >= 1 }
        task.cancel()
        await task.value
        #expect(failed)
        #expect(setup.receiver.stored.withLock { $0.batches } == 0)
        #expect(setup.buffer.stats.records == 5)
        try? FileManager.default.removeItem(atPath: other)
        await setup.finish()
    }
}
