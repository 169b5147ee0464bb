import Foundation
import GRDB
import Testing
import VigilClient
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The VigilClient library against the built agent: durable, agent down, kill -9 mid-stream, a refused
/// event, a flush that times out. What the agent made durable is read back from its buffer.
@Suite("Swift client", .serialized, .timeLimit(.minutes(3)))
struct SwiftClientTests {
    struct Agent {
        let directory: String
        let config: String
        var socket: String { "\(directory)/agent.sock" }

        init() throws {
            directory = try makeTemporaryDirectory("swift-client")
            config = try AgentCrashTests.writeConfig(directory, certificates: try TestCertificates.directory())
        }

        func start() throws -> Daemon {
            try? FileManager.default.removeItem(atPath: socket)
            let agent = try Daemon("vigil-agent", ["run", "--config", config], log: "\(directory)/agent.log")
            guard Daemon.waitForFile(socket) else { throw TestFailure("the agent did not start: \(agent.log)") }
            return agent
        }

        /// Which of `ids` the agent's buffer holds (their 16 bytes inside the stored records).
        func stored(_ ids: [String]) throws -> Set<String> {
            let queue = try DatabaseQueue(path: "\(directory)/agent.db")
            let blob = try queue.read { db in
                try Data(Row.fetchAll(db, sql: "SELECT bytes FROM records").flatMap { ($0[0] as Data) })
            }
            return Set(ids.filter { blob.range(of: Self.bytes($0)) != nil })
        }

        static func bytes(_ hex: String) -> Data {
            var data = Data()
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                data.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return data
        }
    }

    static func ids(_ count: Int, tag: UInt8) -> [String] {
        (0..<count).map { _ in
            String(format: "%02x", tag)
                + (0..<15).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        }
    }

    @Test("the JSON line escapes quotes, backslashes, control characters and keeps UTF-8, as a JSON parser reads it")
    func lineEncoding() throws {
        let awkward = "a\"b\\c\nd\re\tf\u{01}\u{1f} é ✓ 🙂 </script>"
        let event = VigilEvent(
            awkward, outcome: .error, durationMs: 12.5, errorCategory: "db\"timeout",
            attributes: ["z": awkward, "a": "", "plan\n": "pro"], eventID: String(repeating: "ab", count: 16),
            timeUnixNano: 1_700_000_000_123_456_789)
        let line = VigilClient.line(event, service: "check\\out", version: "1.4.0")
        #expect(line.last == UInt8(ascii: "\n") && line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: Any])
        #expect(object["name"] as? String == awkward)
        #expect(object["outcome"] as? String == "error")
        #expect(object["duration_ms"] as? Double == 12.5)
        #expect(object["error_category"] as? String == "db\"timeout")
        #expect(object["service"] as? String == "check\\out" && object["version"] as? String == "1.4.0")
        #expect(object["event_id"] as? String == String(repeating: "ab", count: 16))
        #expect((object["time_unix_nano"] as? NSNumber)?.int64Value == 1_700_000_000_123_456_789)
        #expect(object["attributes"] as? [String: String] == ["z": awkward, "a": "", "plan\n": "pro"])
        // Filled in when absent: 32 hex digits and the current time.
        let filled = VigilClient.line(VigilEvent("x"), service: nil, version: nil)
        let defaults = try #require(try JSONSerialization.jsonObject(with: Data(filled.dropLast())) as? [String: Any])
        let id = try #require(defaults["event_id"] as? String)
        #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(id)")
        #expect(defaults["service"] == nil && defaults["attributes"] == nil)
        let now = Date().timeIntervalSince1970 * 1e9
        #expect(abs(((defaults["time_unix_nano"] as? NSNumber)?.doubleValue ?? 0) - now) < 60e9)
    }

    @Test("send then flush: every event durable at the agent, none dropped or refused")
    func durable() async throws {
        let agent = try Agent()
        let process = try agent.start()
        let client = VigilClient(socketPath: agent.socket, service: "checkout", version: "1.4.0")
        let ids = Self.ids(2000, tag: 1)
        for (i, id) in ids.enumerated() {
            #expect(await client.send(VigilEvent("request", durationMs: Double(i % 300), eventID: id)))
        }
        #expect(await client.flush(timeout: .seconds(10)) == 0)
        let stats = await client.currentStats
        #expect(stats.durable == 2000 && stats.dropped == 0 && stats.rejected == 0, "\(stats)")
        _ = await client.close()
        // A window of 8 lines in flight: the writer waits for answers to make room, over and over.
        let narrow = VigilClient(socketPath: agent.socket, service: "checkout", maxInFlight: 8)
        let more = Self.ids(500, tag: 5)
        for id in more { await narrow.send(VigilEvent("narrow", eventID: id)) }
        #expect(await narrow.flush(timeout: .seconds(10)) == 0, "stalled with a full window")
        _ = await narrow.close()
        #expect(process.terminate() == 0)
        #expect(try agent.stored(ids + more) == Set(ids + more))
    }

    @Test("agent down: send does not wait, a small queue drops and counts; all durable once it starts")
    func agentDown() async throws {
        let agent = try Agent()
        let client = VigilClient(socketPath: agent.socket, service: "checkout")
        let small = VigilClient(socketPath: agent.socket, service: "checkout", queueSize: 50)
        let ids = Self.ids(100, tag: 2)
        let started = ContinuousClock.now
        for id in ids {
            await client.send(VigilEvent("while_down", eventID: id))
            await small.send(VigilEvent("while_down"))
        }
        #expect(ContinuousClock.now - started < .seconds(1), "send waited for the agent")
        #expect(await client.flush(timeout: .milliseconds(300)) == 100)
        #expect(await small.currentStats.dropped == 50)
        let process = try agent.start()
        let unflushed = await client.flush(timeout: .seconds(15))
        let afterStart = await client.currentStats
        #expect(unflushed == 0, "\(afterStart)")
        _ = await client.close()
        _ = await small.close(timeout: .seconds(5))
        #expect(process.terminate() == 0)
        #expect(try agent.stored(ids) == Set(ids))
    }

    @Test("the agent killed with -9 mid-stream and restarted: nothing lost, the client reconnected")
    func restartMidStream() async throws {
        let agent = try Agent()
        var process = try agent.start()
        let client = VigilClient(socketPath: agent.socket, service: "checkout")
        let ids = Self.ids(3000, tag: 3)
        // The application keeps sending while the agent dies, so lines are in flight when it does.
        let sender = Task {
            for id in ids {
                await client.send(VigilEvent("streamed", eventID: id))
                try? await Task.sleep(for: .microseconds(500))
            }
        }
        try await Task.sleep(for: .milliseconds(400))
        process.kill9()
        try await Task.sleep(for: .milliseconds(300))
        process = try agent.start()
        await sender.value
        let unflushed = await client.flush(timeout: .seconds(20))
        let stats = await client.currentStats
        #expect(unflushed == 0, "\(stats)")
        #expect(stats.reconnects >= 1, "\(stats)")
        _ = await client.close()
        #expect(process.terminate() == 0)
        let missing = Set(ids).subtracting(try agent.stored(ids))
        #expect(missing.isEmpty, "\(missing.count) events lost across the kill")
    }

    @Test("a refused event is counted with its reason; those around it are durable")
    func refused() async throws {
        let agent = try Agent()
        let process = try agent.start()
        let client = VigilClient(socketPath: agent.socket, service: "checkout")
        let good = Self.ids(2, tag: 4)
        await client.send(VigilEvent("before", eventID: good[0]))
        await client.send(VigilEvent("bad", eventID: "not-hex"))
        await client.send(VigilEvent("after", eventID: good[1]))
        #expect(await client.flush(timeout: .seconds(10)) == 0)
        let stats = await client.currentStats
        #expect(stats.rejected == 1 && stats.durable == 2, "\(stats)")
        #expect(stats.lastRejection?.contains("event_id") == true, "\(stats)")
        _ = await client.close()
        #expect(process.terminate() == 0)
        #expect(try agent.stored(good) == Set(good))
    }

    @Test("flush returns at its timeout with the count not durable while the agent is stopped")
    func flushTimeout() async throws {
        let agent = try Agent()
        let process = try agent.start()
        let client = VigilClient(socketPath: agent.socket, service: "checkout")
        await client.send(VigilEvent("warm"))
        #expect(await client.flush(timeout: .seconds(10)) == 0)
        process.signal(SIGSTOP)
        for _ in 0..<10 { await client.send(VigilEvent("slow")) }
        // A patient flush beside the short one: the short one's deadline must not end it.
        let patient = Task { await client.flush(timeout: .seconds(20)) }
        let started = ContinuousClock.now
        let left = await client.flush(timeout: .milliseconds(500))
        let took = ContinuousClock.now - started
        try await Task.sleep(for: .milliseconds(300))
        process.signal(SIGCONT)
        #expect(left == 10)
        #expect(took >= .milliseconds(400) && took < .seconds(2), "\(took)")
        #expect(await patient.value == 0, "the patient flush returned at the short one's deadline")
        #expect(await client.flush(timeout: .seconds(10)) == 0)
        _ = await client.close()
        #expect(process.terminate() == 0)
    }
}
