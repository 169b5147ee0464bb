import Foundation
import Synchronization
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Application clients writing JSON-lines events to agent sockets, one thread per agent, each event with
/// a unique id, every answer recorded in a ``Ledger``.
///
/// A client sends a chunk of lines and reads one reply per line (`{"ok":true}` once durable,
/// `{"ok":false,...}` refused). When the connection dies before all replies came, the rest of the chunk
/// is unknown; every other such chunk is retried (same ids and times, as an application retries), the
/// others are left unknown, so a run has both recovered writes and the resend path. Ids are
/// `E6 <scenario> <agent> 00 <counter: 8 bytes> 00 00 00 00`.
final class LoadGenerator: @unchecked Sendable {
    struct Options: Sendable {
        /// Lines per chunk.
        var chunk = 100
        /// Total events per second across all clients; nil = as fast as the agents answer.
        var ratePerSecond: Double?
        /// Whether the client sets `time_unix_nano` (otherwise the agent stamps its own clock).
        var explicitTime = true
        /// Whether refused writes are retried later (disk full: an application waits and retries).
        var retryRejected = false
        /// Every this many chunks the client gives up right after sending (as an application whose
        /// request timed out) and sends the same events again on a new connection: the agent then holds
        /// both copies and the hub must skip one. nil = never.
        var abandonEvery: Int? = 15
        /// Writes for a service the hub's policy does not let their agent speak for: every `every`th event of the
        /// clients of `agents` names `service`. The ledger marks them; the hub must refuse them (see ``Ledger``).
        var unauthorized: Unauthorized?
        /// Whether the application retries at all: off, it neither abandons chunks nor sends again what it got no
        /// answer for, so every repeat the hub sees comes from the agent and only the hwm can skip it.
        var retries = true

        /// Events for a service some agents may not speak for.
        struct Unauthorized: Sendable {
            var agents: Set<Int>
            var every: Int
            var service: String
        }

        /// These options with application retries off.
        var withoutRetries: Options {
            var options = self
            options.retries = false
            options.abandonEvery = nil
            options.retryRejected = false
            return options
        }
    }

    /// The options the clients run with.
    var settings: Options { options }

    private let scenario: UInt8
    private let sockets: [Int: String]
    private let options: Options
    private let stopping = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)
    private let idle = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    /// Writes acknowledged so far, across clients.
    let acknowledged = Atomic<Int>(0)
    /// Writes refused so far, across clients.
    let rejectedCount = Atomic<Int>(0)
    private let results = Mutex<(ledger: Ledger, reasons: [String: Int])>((Ledger(), [:]))

    init(scenario: UInt8, sockets: [Int: String], options: Options = Options()) {
        self.scenario = scenario
        self.sockets = sockets
        self.options = options
    }

    /// Starts one client thread per agent.
    func start() {
        signal(SIGPIPE, SIG_IGN)
        for (agent, socket) in sockets {
            let thread = Thread { [self] in
                let (ledger, reasons) = feed(agent: agent, socket: socket)
                results.withLock { r in
                    r.ledger.merge(ledger)
                    r.reasons.merge(reasons, uniquingKeysWith: +)
                }
                finished.add(1, ordering: .releasing)
            }
            thread.start()
        }
    }

    /// Asks the clients to stop after their current chunk and waits for them.
    func stop() async {
        stopping.store(true, ordering: .releasing)
        while finished.load(ordering: .acquiring) < sockets.count { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Holds the clients after their current chunk (returns when all are idle); ``resume()`` lets them go on.
    func pause() async {
        paused.store(true, ordering: .releasing)
        while idle.load(ordering: .acquiring) < sockets.count { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Lets paused clients go on.
    func resume() { paused.store(false, ordering: .releasing) }

    /// Every attempt's outcome (complete after ``stop()``).
    var ledger: Ledger { results.withLock { $0.ledger } }
    /// Why writes were refused, by the agent's message.
    var rejectionReasons: [String: Int] { results.withLock { $0.reasons } }

    /// Waits until at least `count` more writes than now are acknowledged (or `seconds` pass).
    func waitForProgress(_ count: Int, seconds: Double = 60) async -> Bool {
        let target = acknowledged.load(ordering: .relaxed) + count
        return await eventually(seconds) { acknowledged.load(ordering: .relaxed) >= target }
    }

    private struct Pending {
        var id: Data
        var time: Int64
        /// A service other than the agent's own label, for writes the hub must refuse.
        var service: String?
    }

    private func feed(agent: Int, socket: String) -> (Ledger, [String: Int]) {
        var ledger = Ledger()
        var reasons: [String: Int] = [:]
        var retries: [Pending] = []
        var counter: UInt64 = 0
        var unknownEpisodes = 0
        var chunks = 0
        var client: UnixSocketClient?
        let perClientRate = options.ratePerSecond.map { $0 / Double(sockets.count) }
        let started = Date()
        var sent = 0
        while !stopping.load(ordering: .acquiring) {
            if paused.load(ordering: .acquiring) {
                idle.add(1, ordering: .releasing)
                while paused.load(ordering: .acquiring) && !stopping.load(ordering: .acquiring) { usleep(10_000) }
                idle.subtract(1, ordering: .releasing)
                client = nil
                continue
            }
            if let rate = perClientRate {
                let due = started.addingTimeInterval(Double(sent) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(min(wait, 0.5) * 1_000_000)) }
                if Date() < due { continue }
            }
            if client == nil {
                client = try? UnixSocketClient(path: socket, receiveTimeoutSeconds: 15)
                if client == nil {
                    usleep(50_000)
                    continue
                }
            }
            var chunk = Array(retries.prefix(options.chunk))
            retries.removeFirst(chunk.count)
            while chunk.count < options.chunk {
                counter += 1
                var write = Pending(id: eventID(agent: agent, counter: counter), time: Self.nowNanos())
                if let unauthorized = options.unauthorized, unauthorized.agents.contains(agent),
                    counter % UInt64(unauthorized.every) == 0
                {
                    write.service = unauthorized.service
                    ledger.markUnauthorized(write.id)
                }
                chunk.append(write)
            }
            sent += chunk.count
            chunks += 1
            if let every = options.abandonEvery, chunks % every == 0 {
                _ = try? client!.send(Array(lines(chunk).utf8))
                client = nil
                for write in chunk { ledger.record(write.id, .unknown) }
                retries.append(contentsOf: chunk)
                continue
            }
            let replies = exchange(chunk, over: client!)
            for (index, write) in chunk.enumerated() {
                if index < replies.count {
                    if replies[index].ok {
                        ledger.record(write.id, .acknowledged)
                        acknowledged.add(1, ordering: .relaxed)
                    } else {
                        ledger.record(write.id, .rejected)
                        rejectedCount.add(1, ordering: .relaxed)
                        reasons[replies[index].reason, default: 0] += 1
                        if options.retryRejected { retries.append(write) }
                    }
                } else {
                    ledger.record(write.id, .unknown)
                }
            }
            if replies.count < chunk.count {
                client = nil
                unknownEpisodes += 1
                if options.retries, unknownEpisodes % 2 == 1 { retries.append(contentsOf: chunk[replies.count...]) }
                usleep(20_000)
            } else if options.retryRejected, !retries.isEmpty, replies.contains(where: { !$0.ok }) {
                usleep(100_000)  // refused for lack of space: give it a moment before retrying
            }
        }
        return (ledger, reasons)
    }

    private struct Reply {
        var ok: Bool
        var reason: String
    }

    /// Sends the chunk and reads replies until all came or the connection failed.
    private func lines(_ chunk: [Pending]) -> String {
        var text = ""
        for write in chunk {
            let hex = write.id.map { String(format: "%02x", $0) }.joined()
            let time = options.explicitTime ? "\"time_unix_nano\":\(write.time)," : ""
            let service = write.service.map { "\"service\":\"\($0)\"," } ?? ""
            text +=
                "{\"event_id\":\"\(hex)\",\(time)\(service)\"name\":\"request\",\"outcome\":\"ok\",\"duration_ms\":1.5}\n"
        }
        return text
    }

    private func exchange(_ chunk: [Pending], over client: UnixSocketClient) -> [Reply] {
        guard (try? client.send(Array(lines(chunk).utf8))) != nil else { return [] }
        var replies: [Reply] = []
        var pending: [UInt8] = []
        while replies.count < chunk.count {
            guard let bytes = try? client.readSome(), !bytes.isEmpty else { break }
            pending += bytes
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                replies.append(Self.parse(line))
            }
        }
        return replies
    }

    private static func parse(_ line: String) -> Reply {
        if line.contains("\"ok\":true") { return Reply(ok: true, reason: "") }
        let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        return Reply(ok: false, reason: (object?["error"] as? String) ?? line)
    }

    private func eventID(agent: Int, counter: UInt64) -> Data {
        var id = [UInt8](repeating: 0, count: 16)
        id[0] = 0xE6
        id[1] = scenario
        id[2] = UInt8(agent)
        withUnsafeBytes(of: counter.bigEndian) { id.replaceSubrange(4..<12, with: $0) }
        return Data(id)
    }

    static func nowNanos() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}
