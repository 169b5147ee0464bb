import Foundation
import GRDB
import Synchronization
import Testing
import VigilProtocol
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// 100,000 events from applications through three agents (built binaries, separate processes) into
/// a hub (built binary) on loopback mTLS: each arrives exactly once, counted by event id and by
/// (agent, seq) — with no fault, with an agent `kill -9`ed and restarted mid-stream, and with the hub
/// `kill -9`ed and restarted mid-stream.
@Suite("Pipeline exactly once", .serialized)
struct PipelineExactlyOnceTests {
    enum Fault: String, CaseIterable, Sendable {
        case none
        case killAgent
        case killHub
    }

    static let total = 100_000
    /// Event times are recent: the hub's retention (90 days) would rightly delete anything older.
    static let baseTime = Int64(Date().timeIntervalSince1970) * 1_000_000_000
    static let agents = 3

    @Test("100,000 events through three agents arrive in the hub exactly once", arguments: Fault.allCases)
    func exactlyOnce(fault: Fault) async throws {
        let fleet = try Fleet(name: fault.rawValue)
        defer { fleet.stop() }
        try fleet.startHub()
        for n in 1...Self.agents { try fleet.startAgent(n) }

        let progress = Progress()
        let perAgent = Self.total / Self.agents + 1
        let counts = (1...Self.agents).map { $0 == Self.agents ? Self.total - perAgent * (Self.agents - 1) : perAgent }
        let feeders = (1...Self.agents).map { n in
            let socket = fleet.socket(n)
            let count = counts[n - 1]
            return Task {
                try await onThread { try Self.feed(agent: n, count: count, socket: socket, progress: progress) }
            }
        }
        if fault != .none {
            // Strike once a third of the events are acknowledged, while everything is in flight.
            #expect(await eventually(120) { progress.value.load(ordering: .relaxed) >= Self.total / 3 })
            switch fault {
            case .killAgent: try fleet.restartAgent(2)
            case .killHub: try fleet.restartHub()
            case .none: break
            }
        }
        for feeder in feeders { try await feeder.value }
        #expect(progress.value.load(ordering: .relaxed) == Self.total)

        let arrived = await eventually(180) { (try? fleet.hubEventCount()) == Self.total }
        let check = try fleet.hubCheck()
        #expect(arrived, "hub holds \(check.events) of \(Self.total) events")
        #expect(check.events == Self.total)
        #expect(check.distinctIDs == Self.total, "each event id once")
        #expect(check.repeatedSeqs == 0, "each (agent, seq) once")
        #expect(check.phantoms == 0, "no event the clients never sent")
        #expect(check.gaps == 0)
    }

    /// Sends `count` events to one agent in chunks of 500, waiting for each chunk's acknowledgement; on a
    /// broken connection (the agent was killed) reconnects and resends everything not yet acknowledged.
    static func feed(agent: Int, count: Int, socket: String, progress: Progress) throws {
        var next = 0
        var attempts = 0
        while next < count {
            attempts += 1
            if attempts > 2000 { throw TestFailure("agent \(agent): could not deliver after \(attempts) connections") }
            guard let client = try? UnixSocketClient(path: socket, receiveTimeoutSeconds: 20) else {
                usleep(50_000)
                continue
            }
            let base = next
            do {
                while next < count {
                    let end = min(count, next + 500)
                    var chunk: [UInt8] = []
                    for index in next..<end {
                        let bytes: [UInt8] = try event(agent: agent, index: index).serializedBytes()
                        chunk += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
                    }
                    try client.send(chunk)
                    let target = UInt64(end - base)
                    let raw = try client.receive {
                        AgentCrashTests.lastAck($0).map { $0.durableCount + $0.rejectedCount >= target } ?? false
                    }
                    guard let ack = AgentCrashTests.lastAck(raw), ack.rejectedCount == 0 else {
                        throw ValidEventsRejected(reason: AgentCrashTests.lastAck(raw)?.lastRejection ?? "?")
                    }
                    let acknowledged = base + Int(ack.durableCount)
                    progress.value.add(acknowledged - next, ordering: .relaxed)
                    next = acknowledged
                }
            } catch let failure as ValidEventsRejected {
                throw failure
            } catch {
                usleep(50_000)  // the agent died: reconnect and resend what it did not acknowledge
            }
        }
    }

    static func event(agent: Int, index: Int) -> Vigil_V1_Record {
        var id = [UInt8](repeating: 0, count: 16)
        id[0] = 0xE3
        id[1] = UInt8(agent)
        withUnsafeBytes(of: UInt32(index).bigEndian) { id.replaceSubrange(2..<6, with: $0) }
        var event = Vigil_V1_Event()
        event.eventID = Data(id)
        event.timeUnixNano = baseTime + Int64(agent) * 1_000_000_000 + Int64(index) * 1000
        event.name = "request"
        event.outcome = index % 13 == 0 ? .error : .ok
        event.durationMs = Double(index % 400) + 0.5
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }
}

/// Events acknowledged so far, across the feeding threads.
final class Progress: Sendable {
    let value = Atomic<Int>(0)
}

/// A hub and agents run from the built binaries in one temp directory, on fixed free loopback ports
/// (so a restarted hub comes back where the agents expect it).
final class Fleet: @unchecked Sendable {
    let directory: String
    let certificates: String
    let listenPort: Int
    let adminPort: Int
    private var hub: Daemon?
    private var agents: [Int: Daemon] = [:]

    init(name: String) throws {
        certificates = try TestCertificates.directory()
        directory = try makeTemporaryDirectory("fleet-\(name)")
        listenPort = try Self.freePort()
        adminPort = try Self.freePort()
        try """
        listen: "127.0.0.1:\(listenPort)"
        admin: "127.0.0.1:\(adminPort)"
        tls: { ca: \(certificates)/ca.pem, cert: \(certificates)/hub.pem, key: \(certificates)/hub.key }
        store: { kind: sqlite, path: \(directory)/hub.db }
        """.write(toFile: "\(directory)/hub.yaml", atomically: true, encoding: .utf8)
    }

    func socket(_ n: Int) -> String { "\(directory)/agent-\(n).sock" }

    func startHub() throws {
        try? FileManager.default.removeItem(atPath: "\(directory)/hub.ports")
        hub = try Daemon(
            "vigil-hub", ["serve", "--config", "\(directory)/hub.yaml", "--ports-file", "\(directory)/hub.ports"],
            log: "\(directory)/hub.log")
        guard Daemon.waitForFile("\(directory)/hub.ports") else {
            throw TestFailure("hub did not start: \(hub?.log ?? "")")
        }
    }

    /// Starts agent `web-0n`, by default with its own certificate from the test CA.
    func startAgent(_ n: Int, certificateOf certificateAgent: String? = nil, certificateDirectory: String? = nil) throws
    {
        let config = "\(directory)/agent-\(n).yaml"
        let certs = certificateDirectory ?? certificates
        let owner = certificateAgent ?? "web-0\(n)"
        if !FileManager.default.fileExists(atPath: config) {
            try """
            agent_id: web-0\(n)
            labels: { service: checkout, version: 1.4.0 }
            endpoints: ["127.0.0.1:\(listenPort)"]
            tls: { ca: \(certificates)/ca.pem, cert: \(certs)/agent-\(owner).pem, key: \(certs)/agent-\(owner).key }
            ingest: { socket: \(socket(n)) }
            buffer: { path: \(directory)/agent-\(n).db }
            sampling: { interval: 5s }
            shipping: { backoff_base: 20ms, backoff_cap: 500ms }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try? FileManager.default.removeItem(atPath: socket(n))
        agents[n] = try Daemon("vigil-agent", ["run", "--config", config], log: "\(directory)/agent-\(n).log")
        guard Daemon.waitForFile(socket(n)) else { throw TestFailure("agent \(n) did not start") }
    }

    func restartAgent(_ n: Int) throws {
        agents[n]?.kill9()
        usleep(200_000)
        try startAgent(n)
    }

    func restartHub() throws {
        hub?.kill9()
        usleep(500_000)
        try startHub()
    }

    func stop() {
        for agent in agents.values { agent.terminate() }
        hub?.terminate()
        if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private func open() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: "\(directory)/hub.db", configuration: configuration)
    }

    func hubEventCount() throws -> Int {
        try open().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    struct Check {
        var events: Int
        var distinctIDs: Int
        var repeatedSeqs: Int
        var phantoms: Int
        var gaps: Int
    }

    func hubCheck() throws -> Check {
        try open().read { db in
            Check(
                events: try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? -1,
                distinctIDs: try Int.fetchOne(db, sql: "SELECT count(DISTINCT event_id) FROM events") ?? -1,
                repeatedSeqs: try Int.fetchOne(
                    db,
                    sql:
                        "SELECT count(*) FROM (SELECT agent_id, seq FROM events GROUP BY agent_id, seq HAVING count(*) > 1)"
                ) ?? -1,
                phantoms: try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE substr(event_id, 1, 1) != x'E3'")
                    ?? -1,
                gaps: try Int.fetchOne(db, sql: "SELECT coalesce(sum(gaps), 0) FROM streams") ?? -1
            )
        }
    }

    static func freePort() throws -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestFailure("no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
