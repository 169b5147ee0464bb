import Foundation
import GRDB
import Testing
import VigilProtocol
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `kill -9` of the built agent while a client streams events: nothing the agent acknowledged to the
/// client may be missing afterwards, and nothing may appear that was never sent.
@Suite("Agent crash safety", .serialized)
struct AgentCrashTests {
    static func event(round: Int, index: Int) -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        var id = [UInt8](repeating: 0, count: 16)
        id[0] = 0xE2
        id[1] = UInt8(round)
        withUnsafeBytes(of: UInt32(index).bigEndian) { id.replaceSubrange(2..<6, with: $0) }
        event.eventID = Data(id)
        event.timeUnixNano = 1_700_000_000_000_000_000 + Int64(round) * 1_000_000_000 + Int64(index)
        event.name = "request"
        event.outcome = index % 7 == 0 ? .error : .ok
        event.durationMs = Double(index % 300)
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }

    static func writeConfig(_ directory: String, certificates: String) throws -> String {
        let path = "\(directory)/agent.yaml"
        try """
        agent_id: web-01
        labels: { service: checkout, version: 1.4.0 }
        endpoints: ["127.0.0.1:1"]
        tls: { ca: \(certificates)/ca.pem, cert: \(certificates)/agent-web-01.pem, key: \(certificates)/agent-web-01.key }
        ingest: { socket: \(directory)/agent.sock }
        buffer: { path: \(directory)/agent.db }
        sampling: { interval: 1s }
        shutdown: { drain_timeout: 100ms }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("kill -9 while a client streams loses nothing the agent acknowledged")
    func killNineLosesNothingAcknowledged() async throws {
        let certificates = try TestCertificates.directory()
        let directory = try makeTemporaryDirectory("crash")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try Self.writeConfig(directory, certificates: certificates)
        var acknowledged = Set<Data>()
        var sent = Set<Data>()
        var generator = SystemRandomNumberGenerator()
        let rounds = 4
        for round in 0..<rounds {
            try? FileManager.default.removeItem(atPath: "\(directory)/agent.sock")
            let agent = try Daemon("vigil-agent", ["run", "--config", config], log: "\(directory)/agent.log")
            #expect(Daemon.waitForFile("\(directory)/agent.sock"), "agent socket did not appear: \(agent.log)")
            try await Task.sleep(for: .milliseconds(100))
            let killAfter = Double.random(in: 0.2...0.8, using: &generator)
            let (durable, attempted) = try await onThread {
                try Self.stream(round: round, to: agent, socket: "\(directory)/agent.sock", killAfter: killAfter)
            }
            for i in 0..<attempted { sent.insert(Self.event(round: round, index: i).event.eventID) }
            while agent.isRunning { usleep(10_000) }
            // One connection, all valid, committed in order: the acknowledged events are the first `durable`.
            for i in 0..<Int(durable) { acknowledged.insert(Self.event(round: round, index: i).event.eventID) }
        }
        // A clean start and stop runs recovery on the database as the agent would after a crash.
        try? FileManager.default.removeItem(atPath: "\(directory)/agent.sock")
        let last = try Daemon("vigil-agent", ["run", "--config", config], log: "\(directory)/agent.log")
        #expect(Daemon.waitForFile("\(directory)/agent.sock"))
        #expect(last.terminate() == 0)

        let stored = try Self.storedEventIDs("\(directory)/agent.db")
        let lost = acknowledged.subtracting(stored.ids)
        let phantom = stored.ids.subtracting(sent)
        #expect(acknowledged.count > 0, "the client never got an acknowledgement; the test proved nothing")
        #expect(lost.isEmpty, "\(lost.count) acknowledged events lost")
        #expect(phantom.isEmpty, "\(phantom.count) events stored that were never sent")
        #expect(stored.duplicates == 0)
    }

    /// Streams events in chunks of 200, waiting for each chunk's acknowledgement, until the agent dies
    /// (killed after `killAfter` seconds). Returns the durable count last acknowledged and how many
    /// events were attempted.
    static func stream(round: Int, to agent: Daemon, socket: String, killAfter: Double) throws -> (UInt64, Int) {
        let client = try UnixSocketClient(path: socket, receiveTimeoutSeconds: 5)
        let killer = Thread {
            Thread.sleep(forTimeInterval: killAfter)
            agent.kill9()
        }
        killer.start()
        var index = 0
        var durable: UInt64 = 0
        while agent.isRunning {
            var chunk: [UInt8] = []
            for _ in 0..<200 {
                let bytes: [UInt8] = try Self.event(round: round, index: index).serializedBytes()
                chunk += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
                index += 1
            }
            do {
                try client.send(chunk)
                let target = UInt64(index)
                let raw = try client.receive { bytes in
                    Self.lastAck(bytes).map { $0.durableCount + $0.rejectedCount >= target } ?? false
                }
                guard let ack = Self.lastAck(raw), ack.rejectedCount == 0 else {
                    throw ValidEventsRejected(reason: Self.lastAck(raw)?.lastRejection ?? "?")
                }
                durable = ack.durableCount
            } catch let failure as ValidEventsRejected {
                throw failure
            } catch {
                break  // the agent died mid-chunk: what it acknowledged before is what counts
            }
        }
        return (durable, index)
    }

    static func lastAck(_ bytes: [UInt8]) -> Vigil_V1_IngestAck? {
        var offset = 0
        var last: Vigil_V1_IngestAck?
        while offset + 4 <= bytes.count {
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            guard offset + 4 + length <= bytes.count else { break }
            last = try? Vigil_V1_IngestAck(serializedBytes: Array(bytes[(offset + 4)..<(offset + 4 + length)]))
            offset += 4 + length
        }
        return last
    }

    static func storedEventIDs(_ path: String) throws -> (ids: Set<Data>, duplicates: Int) {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let blobs = try queue.read { db in try Data.fetchAll(db, sql: "SELECT bytes FROM records") }
        var ids = Set<Data>()
        var duplicates = 0
        for blob in blobs {
            let record = try Vigil_V1_Record(serializedBytes: blob)
            guard case .event(let event) = record.body else { continue }
            if !ids.insert(event.eventID).inserted { duplicates += 1 }
        }
        return (ids, duplicates)
    }
}

struct ValidEventsRejected: Error {
    var reason: String
}
