import Foundation
import VigilHub
import VigilProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// End to end: applications write to three agents' sockets for 60 s; the rate that counts is events
/// stored in the hub (and acknowledged to the agents) per second, until the hub has every event the
/// agents acknowledged. Then `/v1/status` latency with 10 M events stored.
enum PipelineBenchmark {
    static let agents = 3

    static func run(binDirectory: URL, packageRoot: URL, seconds: Double) async throws {
        let work = NSTemporaryDirectory() + "vigil-bench-pipeline-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var certArgs = ["bash", packageRoot.appendingPathComponent("deploy/certs.sh").path, "\(work)/certs"]
        for n in 1...agents { certArgs += ["--agent", "bench-\(n)"] }
        try BenchProcess.run("/usr/bin/env", certArgs)

        Report.section(
            "End to end (\(agents) agents → hub, \(Int(seconds)) s of traffic, batches of 1000 records / 1 MiB, 4 in flight)"
        )
        let hub = try startHub(work: work, binDirectory: binDirectory, database: "\(work)/hub.db")
        defer { hub.process.stop() }
        var agentProcesses: [BenchProcess] = []
        defer { for agent in agentProcesses { agent.stop() } }
        for n in 1...agents {
            let config = "\(work)/agent-\(n).yaml"
            try """
            agent_id: bench-\(n)
            labels: { service: bench, version: 1.0.\(n) }
            endpoints: ["\(hub.listen)"]
            tls: { ca: \(work)/certs/ca.pem, cert: \(work)/certs/agent-bench-\(n).pem, key: \(work)/certs/agent-bench-\(n).key }
            ingest: { socket: \(work)/agent-\(n).sock }
            buffer: { path: \(work)/agent-\(n).db, max_bytes: 4GiB }
            sampling: { interval: 10s }
            """.write(toFile: config, atomically: true, encoding: .utf8)
            agentProcesses.append(
                try BenchProcess(
                    binDirectory.appendingPathComponent("vigil-agent").path,
                    ["run", "--config", config, "--log-level", "warning"]))
            guard BenchProcess.waitForFile("\(work)/agent-\(n).sock") else {
                throw BenchError("agent \(n) did not start")
            }
        }
        let start = Date()
        let clients = try (1...agents).map { n in
            try BenchProcess(
                binDirectory.appendingPathComponent("vigil-bench").path,
                ["stream-client", "--socket", "\(work)/agent-\(n).sock", "--seconds", "\(seconds)", "--agent", "\(n)"],
                captureOutput: true
            )
        }
        var acknowledged = 0
        for client in clients {
            let output = client.waitForOutput()
            guard let field = output.split(separator: " ").first(where: { $0.hasPrefix("durable=") }),
                let count = Int(field.dropFirst(8))
            else {
                throw BenchError("client failed: \(output)")
            }
            acknowledged += count
        }
        let clientsDone = Date().timeIntervalSince(start)
        let store = try SQLiteEventStore.open(path: "\(work)/hub.db")
        while try await store.totals().events < acknowledged {
            try await Task.sleep(for: .milliseconds(100))
            if Date().timeIntervalSince(start) > seconds * 10 { throw BenchError("the hub never received every event") }
        }
        let stored = Date().timeIntervalSince(start)
        Report.line("events acknowledged to apps", "\(acknowledged) in \(String(format: "%.1f", clientsDone)) s")
        Report.line(
            "stored in the hub",
            String(
                format: "%12.0f events/s end to end (all %d in the hub after %.1f s)", Double(acknowledged) / stored,
                acknowledged, stored))
    }

    /// Loads 10 M events into a hub database through the store, starts the hub on it, and times
    /// `GET /v1/status`.
    static func statusLatency(binDirectory: URL, packageRoot: URL, events: Int) async throws {
        let work = NSTemporaryDirectory() + "vigil-bench-status-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        try BenchProcess.run(
            "/usr/bin/env", ["bash", packageRoot.appendingPathComponent("deploy/certs.sh").path, "\(work)/certs"])
        Report.section("GET /v1/status with \(events / 1_000_000) M events stored")
        let loadStart = ContinuousClock.now
        do {
            let store = try SQLiteEventStore.open(path: "\(work)/hub.db")
            let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
            var seq: UInt64 = 1
            while seq <= UInt64(events) {
                let records = (0..<10_000).map { i -> Vigil_V1_Record in
                    let n = Int(seq) + i
                    var event = Vigil_V1_Event()
                    event.eventID = withUnsafeBytes(of: (UInt64(n), UInt64(0x5747)), { Data($0) })
                    event.timeUnixNano = now - Int64(events - n) * 1_000_000
                    event.service = "svc-\(n % 5)"
                    event.version = "1.\(n % 3).0"
                    event.name = "request"
                    event.outcome = n % 50 == 0 ? .error : .ok
                    event.durationMs = Double(n % 900)
                    var record = Vigil_V1_Record()
                    record.event = event
                    return record
                }
                let agent = "host-\(Int(seq / 10_000) % 20)"
                _ = try await store.openStream(
                    AgentHello(
                        agentID: agent, streamID: Data(repeating: UInt8(Int(seq / 10_000) % 20), count: 16),
                        hostname: agent, agentVersion: "b", labels: [:]),
                    at: now)
                _ = try await store.commit(
                    [
                        IncomingBatch(
                            agentID: agent, streamID: Data(repeating: UInt8(Int(seq / 10_000) % 20), count: 16),
                            firstSeq: seq, records: records, previousSeq: 0)
                    ], at: now)
                seq += 10_000
            }
        }
        Report.line(
            "loaded through the store",
            String(format: "%.0f events/s", Double(events) / (ContinuousClock.now - loadStart).seconds))
        let hub = try startHub(work: work, binDirectory: binDirectory, database: "\(work)/hub.db")
        defer { hub.process.stop() }
        var latencies: [Double] = []
        let url = URL(string: "http://\(hub.admin)/v1/status")!
        for _ in 0..<50 {
            let started = ContinuousClock.now
            let (data, response) = try await URLSession.shared.data(from: url)
            guard (response as? HTTPURLResponse)?.statusCode == 200, !data.isEmpty else {
                throw BenchError("status failed")
            }
            latencies.append((ContinuousClock.now - started).seconds * 1000)
        }
        latencies.sort()
        Report.line(
            "latency over 50 requests",
            String(
                format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", latencies[25], latencies[49 * 99 / 100], latencies[49])
        )
    }

    static func startHub(
        work: String, binDirectory: URL, database: String
    ) throws -> (process: BenchProcess, listen: String, admin: String) {
        try """
        listen: "127.0.0.1:0"
        admin: "127.0.0.1:0"
        tls: { ca: \(work)/certs/ca.pem, cert: \(work)/certs/hub.pem, key: \(work)/certs/hub.key }
        store: { kind: sqlite, path: \(database) }
        """.write(toFile: "\(work)/hub.yaml", atomically: true, encoding: .utf8)
        let process = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-hub").path,
            ["serve", "--config", "\(work)/hub.yaml", "--ports-file", "\(work)/hub.ports", "--log-level", "warning"],
            captureOutput: false
        )
        guard BenchProcess.waitForFile("\(work)/hub.ports") else { throw BenchError("hub did not start") }
        let ports = try String(contentsOfFile: "\(work)/hub.ports", encoding: .utf8)
        func address(_ key: String) -> String {
            ports.split(separator: "\n").first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
                ?? ""
        }
        return (process, address("listen"), address("admin"))
    }
}
