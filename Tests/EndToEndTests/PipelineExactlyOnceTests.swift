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
