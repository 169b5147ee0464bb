import Foundation
import Logging
import NIOCore
import PostgresNIO
import VigilHub
import VigilProtocol
import VigilTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The PostgreSQL hub tier (issue 14), on one throwaway server with fsync on (as in production) that the
/// benchmark starts and stops itself:
///
/// - **store**: the same rows through the store's two write methods (`COPY` into a staging table, `unnest`
///   arrays), beside the best bulk method alone (one `COPY` straight into `events`, no dedupe, no rollups);
/// - **pipeline**: two hub processes on one database, three agents at a paced load; events/s stored over the
///   window, the agents' backlog at its end, and in the same run the rate of one bare `COPY` of as many rows;
/// - **versions**: `GET /v1/versions` with 10 M events stored (loaded through the store), then the dashboard over
///   them (DashboardBenchmark);
/// - **failover**: kill -9 of the leader, until the other replica holds the lock and has evaluated.
///
/// Parts run alone with `vigil-bench --only postgres --pg-part store|pipeline|versions|failover`.
enum PostgresBenchmark {
    static let agents = 3
    static let logger = Logger(label: "vigil.bench.postgres")

    struct Settings {
        var seconds = 60.0
        var rate = 40_000
        var versionEvents = 10_000_000
        var evaluationSeconds = 2
        var parts: Set<String> = ["store", "pipeline", "versions", "failover"]
    }

    static func run(binDirectory: URL, packageRoot: URL, settings: Settings) async throws {
        let server = try PostgresServer.dedicated(
            durable: true,
            settings: ["shared_buffers=256MB", "max_wal_size=4GB", "checkpoint_timeout=15min", "wal_buffers=16MB"])
        defer { server.stop() }
        let work = NSTemporaryDirectory() + "vigil-bench-postgres-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var certArgs = ["bash", packageRoot.appendingPathComponent("deploy/certs.sh").path, "\(work)/certs"]
        for n in 1...agents { certArgs += ["--agent", "bench-\(n)"] }
        try BenchProcess.run("/usr/bin/env", certArgs)
        let bench = Bench(server: server, work: work, binDirectory: binDirectory, settings: settings)
        if settings.parts.contains("store") { try await bench.store(events: 300_000) }
        if settings.parts.contains("pipeline") { try await bench.pipeline() }
        if settings.parts.contains("versions") { try await bench.versions() }
        if settings.parts.contains("failover") { try await bench.failover() }
    }

    struct Bench {
        let server: PostgresServer
        let work: String
        let binDirectory: URL
        let settings: Settings

        /// A new database with the hub's schema (and partitions around today).
        func database(_ name: String) async throws -> (name: String, url: String) {
            let database = try server.database(name)
            let url = server.url(database)
            let store = try await open(url, method: .copy)
            store.close()
            return (database, url)
        }

        func open(_ url: String, method: PostgresEventStore.WriteMethod) async throws -> PostgresEventStore {
            try await PostgresEventStore.open(
                .init(target: try PostgresTarget.parse(url)), hubID: "bench", writeMethod: method)
        }

        func connect(_ database: String) async throws -> PostgresConnection {
            try await PostgresConnection.connect(
                configuration: .init(
                    unixSocketPath: "\(server.socketDirectory)/.s.PGSQL.\(server.port)", username: server.user,
                    password: nil, database: database),
                id: Int.random(in: 100...100_000), logger: logger)
        }

        // MARK: The store alone

        func store(events: Int) async throws {
            Report.section(
                "PostgreSQL store on one connection (\(events) events of ~150 bytes, \(StoreBenchmark.batchesPerCommit) "
                    + "batches of \(StoreBenchmark.batchRecords) per commit, fsync on)")
            let bare = try await bareCopy(rows: events)
            Report.line("reference: one bare COPY", String(format: "%8.0f rows/s (into events, nothing else)", bare))
            for method in PostgresEventStore.WriteMethod.allCases {
                let (name, url) = try await database("store_\(method.rawValue)")
                let store = try await open(url, method: method)
                defer { store.close() }
                let rate = try await commitThroughStore(store, events: events)
                let count = try server.psql(name, "SELECT count(*) FROM events")
                Report.line(
                    "store.commit, \(method.rawValue)",
                    String(
                        format: "%8.0f events/s (%@ stored, with dedupe and rollups; %.2f of the bare COPY)", rate,
                        count, rate / bare))
            }
        }

        /// Commits `events` events as three agents' batches, the store's group commits; returns events/s.
        func commitThroughStore(_ store: PostgresEventStore, events: Int) async throws -> Double {
            let (stored, committing) = try await StoreBenchmark.commit(events: events, to: store)
            guard stored == events else { throw BenchError("the store stored \(stored) of \(events) events") }
            return Double(stored) / committing.seconds
        }

        /// The best bulk method alone: `rows` rows of the shape the hub stores, in one `COPY` into `events` of a
        /// fresh database (its unique key and index in place, as the store has them); returns rows/s.
        func bareCopy(rows: Int) async throws -> Double {
            let (name, _) = try await database("bare")
            let connection = try await connect(name)
            let base = Int64(Date().timeIntervalSince1970) * 1_000_000_000
            let start = ContinuousClock.now
            do {
                try await connection.copyFrom(
                    table: "events",
                    columns: [
                        "time_unix_nano", "event_id", "agent_id", "stream", "seq", "service", "version", "name",
                        "outcome", "duration_ms", "error_category", "attributes",
                    ], logger: logger
                ) { writer in
                    // Rows are written straight into the buffer (a hex table, no string formatting), so the
                    // figure is PostgreSQL's rate, not this client's.
                    let hex = Array("0123456789abcdef".utf8)
                    let agentNames = (1...agents).map { Array("bench-\($0)".utf8) }
                    let versions = (1...agents).map { Array("1.0.\($0)".utf8) }
                    let tail = Array("{\"peer.uid\":\"1000\",\"route\":\"/api/cart\"}\n".utf8)
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(300 * 1024)
                    for index in 0..<rows {
                        let agent = index % agents
                        buffer.writeString(String(base + Int64(index) * 10_000))
                        buffer.writeStaticString("\t\\\\x")
                        for byte in 0..<16 {
                            let value = UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> (byte % 8 * 4) &+ byte)
                            buffer.writeInteger(hex[Int(value >> 4)])
                            buffer.writeInteger(hex[Int(value & 0x0F)])
                        }
                        buffer.writeInteger(UInt8(ascii: "\t"))
                        buffer.writeBytes(agentNames[agent])
                        buffer.writeString("\t\(agent + 1)\t\(index / agents + 1)\tbench\t")
                        buffer.writeBytes(versions[agent])
                        buffer.writeString(
                            "\trequest\t\(index % 50 == 0 ? 2 : 1)\t\(Double(index % 700) + 0.5)\t"
                                + (index % 50 == 0 ? "timeout\t" : "\t"))
                        buffer.writeBytes(tail)
                        if buffer.readableBytes >= 256 * 1024 {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            } catch {
                try? await connection.close()
                throw error
            }
            let seconds = (ContinuousClock.now - start).seconds
            try await connection.close()
            return Double(rows) / seconds
        }

        // MARK: Two hubs, three agents

        struct Hub {
            var process: BenchProcess
            var listen: String
            var admin: String
            var id: String
        }

        func startHub(_ id: String, url: String) throws -> Hub {
            let hub = try PipelineBenchmark.startHub(
                id, work: work, binDirectory: binDirectory,
                settings: """
                    hub_id: \(id)
                    evaluation_interval: \(settings.evaluationSeconds)s
                    store: { kind: postgres, url: "\(url)", pool: 8 }
                    """)
            return Hub(process: hub.process, listen: hub.listen, admin: hub.admin, id: id)
        }

        func pipeline() async throws {
            let seconds = settings.seconds
            let warmup = PipelineBenchmark.warmup
            Report.section(
                "Two hubs on one PostgreSQL, \(agents) agents, apps paced at \(settings.rate) events/s in all "
                    + "(\(Int(seconds)) s measured after \(Int(warmup)) s warm-up, fsync on)")
            let (name, url) = try await database("pipeline")
            let hubs = [try startHub("hub-a", url: url), try startHub("hub-b", url: url)]
            defer { for hub in hubs { hub.process.stop() } }
            var agentProcesses: [BenchProcess] = []
            defer { for agent in agentProcesses { agent.stop() } }
            for n in 1...agents {
                // Agents 1 and 3 prefer hub a, agent 2 hub b; each lists both.
                agentProcesses.append(
                    try PipelineBenchmark.startAgent(
                        n, endpoints: (n == 2 ? hubs.reversed() : hubs).map(\.listen), work: work,
                        binDirectory: binDirectory, batchRecords: 4000, inFlight: 16))
            }
            let clients = try (1...agents).map { n in
                try PipelineBenchmark.startClient(
                    n, work: work, binDirectory: binDirectory,
                    arguments: ["--seconds", "\(warmup + seconds)", "--rate", "\(max(1, settings.rate / agents))"])
            }
            func stored() throws -> Int {
                Int(try server.psql(name, "SELECT coalesce(sum(events), 0) FROM streams")) ?? 0
            }
            let start = ContinuousClock.now
            try await Task.sleep(until: start + .milliseconds(Int(warmup * 1000)))
            let first = (at: ContinuousClock.now, stored: try stored())
            // The backlog every 10 s: acknowledged to the apps (their rate so far) minus stored.
            var storedAt: [Int] = []
            for step in 1...Int(seconds / 10) {
                try await Task.sleep(until: first.at + .seconds(10 * step))
                storedAt.append(try stored())
            }
            let last = (at: ContinuousClock.now, stored: try stored())
            var acknowledged = 0
            for client in clients {
                let output = client.waitForOutput()
                guard let field = output.split(separator: " ").first(where: { $0.hasPrefix("durable=") }),
                    let count = Int(field.dropFirst(8))
                else { throw BenchError("client failed: \(output)") }
                acknowledged += count
            }
            let storedAtEnd = try stored()
            let drainStart = ContinuousClock.now
            while try stored() < acknowledged {
                try await Task.sleep(for: .milliseconds(200))
                if (ContinuousClock.now - drainStart).seconds > 600 {
                    throw BenchError("the hubs never stored everything")
                }
            }
            let drain = (ContinuousClock.now - drainStart).seconds
            let window = (last.at - first.at).seconds
            let rate = Double(last.stored - first.stored) / window
            let perHub = try server.psql(
                name,
                "SELECT string_agg(connected_hub || ' ' || n, ', ') FROM (SELECT connected_hub, count(*) n FROM agents GROUP BY 1 ORDER BY 1) c"
            )
            Report.line(
                "stored by both hubs, sustained",
                String(
                    format: "%8.0f events/s (%d over %.1f s; agents per hub: %@)", rate, last.stored - first.stored,
                    window, perHub))
            let offeredPerTen = Double(settings.rate) * 10
            let increments = zip([first.stored] + storedAt, storedAt).map { Double($1 - $0) / offeredPerTen }
            Report.line(
                "stored per 10 s / offered",
                increments.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    + " (flat at 1.00: the hubs keep up with the apps)")
            Report.line(
                "backlog at traffic end",
                "\(max(0, acknowledged - storedAtEnd)) events acknowledged to apps, not yet stored; all \(acknowledged) stored "
                    + String(format: "%.1f s later", drain))
            for hub in hubs {
                Report.line(
                    "CPU \(hub.id)",
                    String(
                        format: "%.1f µs per stored event",
                        BenchProcess.cpuSeconds(pid: hub.process.pid) / Double(max(1, acknowledged)) * 1e6))
            }
            // The reference, in the same run: as many rows with the best bulk method alone.
            let bare = try await bareCopy(rows: max(100_000, last.stored - first.stored))
            Report.line(
                "reference: one bare COPY of as many rows",
                String(format: "%8.0f rows/s; pipeline / bare COPY = %.2f (goal ≥ 0.5)", bare, rate / bare))
        }

        // MARK: GET /v1/versions over 10 M events

        func versions() async throws {
            let events = settings.versionEvents
            Report.section("GET /v1/versions with \(Double(events) / 1e6) M events stored in PostgreSQL")
            let (name, url) = try await database("versions")
            let store = try await open(url, method: .copy)
            let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
            let hosts = 100
            let perCommit = 10_000
            let span = Int64(30 * 86_400) * 1_000_000_000
            let start = ContinuousClock.now
            var nextSeq = [UInt64](repeating: 1, count: hosts)
            for host in 0..<hosts {
                _ = try await store.openStream(
                    AgentHello(
                        agentID: "host-\(host)", streamID: Data(repeating: UInt8(host), count: 16),
                        hostname: "host-\(host)",
                        agentVersion: "b", labels: ["service": "svc-\(host / 20)", "version": "1.\(host % 3).0"]),
                    at: now)
            }
            var made = 0
            while made < events {
                // Five hosts' batches of 2,000 per commit, times spread evenly over 30 days.
                let batches = (0..<5).map { b -> IncomingBatch in
                    let host = (made / perCommit * 5 + b) % hosts
                    let records = (0..<(perCommit / 5)).map { i -> Vigil_V1_Record in
                        let n = made + b * (perCommit / 5) + i
                        var event = Vigil_V1_Event()
                        event.eventID = withUnsafeBytes(of: (UInt64(n), UInt64(0x5747)), { Data($0) })
                        event.timeUnixNano = now - span + span / Int64(events) * Int64(n)
                        event.service = "svc-\(host / 20)"
                        event.version = "1.\(host % 3).0"
                        event.name = n % 7 == 0 ? "checkout" : "request"
                        event.outcome = n % 50 == 0 ? .error : .ok
                        event.durationMs = Double(n % 900)
                        var record = Vigil_V1_Record()
                        record.event = event
                        return record
                    }
                    defer { nextSeq[host] += UInt64(records.count) }
                    return IncomingBatch(
                        agentID: "host-\(host)", streamID: Data(repeating: UInt8(host), count: 16),
                        firstSeq: nextSeq[host], records: records, previousSeq: nextSeq[host] - 1)
                }
                _ = try await store.commit(batches, at: now)
                made += perCommit
            }
            store.close()
            let loaded = (ContinuousClock.now - start).seconds
            _ = try server.psql(name, "VACUUM ANALYZE")
            Report.line(
                "loaded through the store",
                String(
                    format: "%.0f events/s (%@ events, %@ minute and %@ hour event rollup cells)",
                    Double(events) / loaded, try server.psql(name, "SELECT count(*) FROM events"),
                    try server.psql(name, "SELECT count(*) FROM event_rollups"),
                    try server.psql(name, "SELECT count(*) FROM event_rollups_hourly")))
            let hub = try startHub("hub-v", url: url)
            defer { hub.process.stop() }
            for window in ["24h", "7d", "30d"] {
                let latencies = try await PipelineBenchmark.getLatencies(
                    URL(string: "http://\(hub.admin)/v1/versions?service=svc-1&window=\(window)")!, count: 100)
                Report.line(
                    "GET /v1/versions window=\(window)",
                    String(
                        format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms over 100 requests (goal < 200 ms)",
                        latencies[50],
                        latencies[98], latencies[99]))
            }
            Report.section("The dashboard over the same \(Double(events) / 1e6) M events")
            try await DashboardBenchmark.run(admin: hub.admin, service: "svc-1")
        }

        // MARK: Leader failover

        func failover() async throws {
            let interval = Double(settings.evaluationSeconds)
            Report.section(
                "Leader failover: two hubs, evaluation_interval \(settings.evaluationSeconds)s, the leader killed with -9"
            )
            let (name, url) = try await database("failover")
            var hubs = [try startHub("hub-a", url: url), try startHub("hub-b", url: url)]
            defer { for hub in hubs { hub.process.stop() } }
            func leader() throws -> String {
                try server.psql(name, "SELECT coalesce(string_agg(hub_id, ','), '') FROM replicas WHERE leader")
            }
            func evaluated() throws -> String {
                try server.psql(name, "SELECT coalesce(max(updated), 0) FROM evaluation_results")
            }
            var taken: [Double] = []
            var firstEvaluation: [Double] = []
            for round in 0..<5 {
                // Wait for one leader that has evaluated.
                let deadline = ContinuousClock.now + .seconds(30)
                var current = ""
                while ContinuousClock.now < deadline {
                    current = try leader()
                    if hubs.contains(where: { $0.id == current }), try evaluated() != "0" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                guard let index = hubs.firstIndex(where: { $0.id == current }) else {
                    throw BenchError("no single leader within 30 s (replicas say \(current))")
                }
                let survivor = hubs[1 - index].id
                let lastEvaluation = try evaluated()
                hubs[index].process.kill9()
                let killed = ContinuousClock.now
                var tookLock: Double?
                var evaluatedAfter: Double?
                while (ContinuousClock.now - killed).seconds < 10 * interval {
                    if tookLock == nil,
                        try server.psql(name, "SELECT leader FROM replicas WHERE hub_id = '\(survivor)'") == "t"
                    {
                        tookLock = (ContinuousClock.now - killed).seconds
                    }
                    if tookLock != nil, try evaluated() != lastEvaluation {
                        evaluatedAfter = (ContinuousClock.now - killed).seconds
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                guard let tookLock, let evaluatedAfter else {
                    throw BenchError("round \(round): \(survivor) did not take over within \(10 * interval) s")
                }
                taken.append(tookLock)
                firstEvaluation.append(evaluatedAfter)
                // The killed replica comes back as a follower (a new process under the same id).
                hubs[index] = try startHub(hubs[index].id, url: url)
            }
            Report.line(
                "lock taken by the other replica",
                taken.map { String(format: "%.2f", $0) }.joined(separator: " ") + " s after the kill")
            Report.line(
                "its first evaluation",
                firstEvaluation.map { String(format: "%.2f", $0) }.joined(separator: " ")
                    + String(
                        format: " s after the kill (max %.2f s; two intervals = %.0f s)", firstEvaluation.max() ?? 0,
                        2 * interval))
        }
    }
}
