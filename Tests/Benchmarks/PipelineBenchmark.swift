import Foundation
import VigilHub
import VigilProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// End to end: applications write to three agents' sockets; agents buffer durably and ship to the hub.
///
/// The figure that counts is **events stored in the hub per second over a sustained window while the
/// applications keep writing** (`--seconds`, default 60, after a 5 s warm-up): the hub's committed
/// event count is read at both ends of the window, so events merely buffered by agents (acknowledged
/// to the applications but not yet in the hub) do not count. The agents' backlog at the end of the
/// traffic is printed too: a backlog that grows over the run means the offered rate is above what the
/// pipeline sustains. Applications either write as fast as the agents acknowledge (default) or at a
/// fixed total rate (`--rate`).
enum PipelineBenchmark {
    static let agents = 3
    static let warmup = 5.0
    /// The agents' `max_batch_bytes` (the default). `max_batch_records` is 4000 unless `--batch-records`
    /// says otherwise (the agent's default is 1000: at 1000 the three agents' per-batch work, above all
    /// a delete transaction per acknowledged batch, costs about 1 µs more per event), and
    /// `max_in_flight` 16 (the default) unless `--in-flight` says otherwise.
    static let batchBytes = "1MiB"

    struct Sample {
        var at: ContinuousClock.Instant
        var stored: UInt64
        var hubCPU: Double
        var agentCPU: Double
        var clientCPU: Double
    }

    static func run(
        binDirectory: URL, packageRoot: URL, seconds: Double, rate: Int?, batchRecords: Int, inFlight: Int,
        hubDurability: String = "full"
    ) async throws {
        let work = NSTemporaryDirectory() + "vigil-bench-pipeline-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var certArgs = ["bash", packageRoot.appendingPathComponent("deploy/certs.sh").path, "\(work)/certs"]
        for n in 1...agents { certArgs += ["--agent", "bench-\(n)"] }
        try BenchProcess.run("/usr/bin/env", certArgs)

        let offered =
            (rate.map { "apps paced at \($0) events/s in all" } ?? "apps write as fast as agents ack")
            + ", hub durability \(hubDurability)"
        Report.section(
            "End to end (\(agents) agents → hub, \(Int(seconds)) s measured after \(Int(warmup)) s warm-up, \(offered))"
        )
        Report.line(
            "settings",
            "agent batches ≤ \(batchRecords) records / \(batchBytes), \(inFlight) in flight; "
                + "hub commits ≤ 50000 records, queue bound 200000; hub store.durability \(hubDurability), "
                + "agents buffer.durability normal")
        let hub = try startHub(
            work: work, binDirectory: binDirectory, database: "\(work)/hub.db", durability: hubDurability)
        defer { hub.process.stop() }
        var agentProcesses: [BenchProcess] = []
        defer { for agent in agentProcesses { agent.stop() } }
        for n in 1...agents {
            agentProcesses.append(
                try startAgent(
                    n, endpoints: [hub.listen], work: work, binDirectory: binDirectory, batchRecords: batchRecords,
                    inFlight: inFlight))
        }
        let store = try SQLiteEventStore.open(path: "\(work)/hub.db")
        var clientArguments = ["--seconds", "\(warmup + seconds)"]
        if let rate { clientArguments += ["--rate", "\(max(1, rate / agents))"] }
        let clients = try (1...agents).map { n in
            try startClient(n, work: work, binDirectory: binDirectory, arguments: clientArguments)
        }
        func sample() async throws -> Sample {
            Sample(
                at: .now, stored: try await store.totals().events,
                hubCPU: BenchProcess.cpuSeconds(pid: hub.process.pid),
                agentCPU: agentProcesses.reduce(0) { $0 + BenchProcess.cpuSeconds(pid: $1.pid) },
                clientCPU: clients.reduce(0) { $0 + BenchProcess.cpuSeconds(pid: $1.pid) })
        }
        let start = ContinuousClock.now
        try await Task.sleep(until: start + .milliseconds(Int(warmup * 1000)))
        let first = try await sample()
        try await Task.sleep(until: first.at + .milliseconds(Int(seconds * 1000)))
        let last = try await sample()

        var acknowledged: UInt64 = 0
        for client in clients {
            let output = client.waitForOutput()
            guard let field = output.split(separator: " ").first(where: { $0.hasPrefix("durable=") }),
                let count = UInt64(field.dropFirst(8))
            else {
                throw BenchError("client failed: \(output)")
            }
            acknowledged += count
        }
        let clientsDone = ContinuousClock.now - start
        let storedWhenClientsDone = try await store.totals().events
        while try await store.totals().events < acknowledged {
            try await Task.sleep(for: .milliseconds(100))
            if (ContinuousClock.now - start).seconds > (warmup + seconds) * 10 {
                throw BenchError("the hub never received every event")
            }
        }
        let drained = ContinuousClock.now - start

        let window = (last.at - first.at).seconds
        let storedInWindow = Double(last.stored - first.stored)
        func perEvent(_ cpu: Double) -> String {
            storedInWindow > 0 ? String(format: "%.1f µs", cpu / storedInWindow * 1e6) : "-"
        }
        Report.line(
            "events acknowledged to apps",
            String(
                format: "%12.0f events/s (%llu durable in agents in %.1f s)",
                Double(acknowledged) / clientsDone.seconds,
                acknowledged, clientsDone.seconds))
        Report.line(
            "stored in the hub, sustained",
            String(
                format: "%12.0f events/s end to end (%.0f events stored in the hub over %.1f s of traffic)",
                storedInWindow / window, storedInWindow, window))
        Report.line(
            "agent backlog at traffic end",
            "\(acknowledged - min(acknowledged, storedWhenClientsDone)) events acknowledged to apps, not yet in the hub"
        )
        Report.line(
            "drain",
            String(format: "all %llu in the hub after %.1f s", acknowledged, drained.seconds))
        Report.line(
            "CPU per stored event",
            "hub \(perEvent(last.hubCPU - first.hubCPU)), agents \(perEvent(last.agentCPU - first.agentCPU)), "
                + "apps \(perEvent(last.clientCPU - first.clientCPU)) (over the window, \(ProcessInfo.processInfo.activeProcessorCount) cores)"
        )
    }

    static func startHub(
        work: String, binDirectory: URL, database: String, durability: String = "full"
    ) throws -> (process: BenchProcess, listen: String, admin: String) {
        try startHub(
            "hub", work: work, binDirectory: binDirectory,
            settings: "store: { kind: sqlite, path: \(database), durability: \(durability) }")
    }

    /// Starts `vigil-hub serve` as `name` (its yaml and ports file in `work`), on ports of its own, with
    /// `settings` (YAML lines: the store at least) after the listen, admin and TLS lines.
    static func startHub(
        _ name: String, work: String, binDirectory: URL, settings: String
    ) throws -> (process: BenchProcess, listen: String, admin: String) {
        let config = "\(work)/\(name).yaml"
        let portsFile = "\(work)/\(name).ports"
        try? FileManager.default.removeItem(atPath: portsFile)
        try """
        listen: "127.0.0.1:0"
        admin: "127.0.0.1:0"
        tls: { ca: \(work)/certs/ca.pem, cert: \(work)/certs/hub.pem, key: \(work)/certs/hub.key }
        \(settings)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-hub").path,
            ["serve", "--config", config, "--ports-file", portsFile, "--log-level", "warning"],
            captureOutput: false
        )
        guard BenchProcess.waitForFile(portsFile) else { throw BenchError("hub \(name) did not start") }
        let ports = try String(contentsOfFile: portsFile, encoding: .utf8)
        func address(_ key: String) -> String {
            ports.split(separator: "\n").first { $0.hasPrefix(key + " ") }.map { String($0.dropFirst(key.count + 1)) }
                ?? ""
        }
        return (process, address("listen"), address("admin"))
    }

    /// Starts agent `n` (`bench-n`, version 1.0.n) shipping to `endpoints` in that order of preference; returns
    /// once its ingest socket is there.
    static func startAgent(
        _ n: Int, endpoints: [String], work: String, binDirectory: URL, batchRecords: Int, inFlight: Int
    ) throws -> BenchProcess {
        let config = "\(work)/agent-\(n).yaml"
        try """
        agent_id: bench-\(n)
        labels: { service: bench, version: 1.0.\(n) }
        endpoints: [\(endpoints.map { "\"\($0)\"" }.joined(separator: ", "))]
        tls: { ca: \(work)/certs/ca.pem, cert: \(work)/certs/agent-bench-\(n).pem, key: \(work)/certs/agent-bench-\(n).key }
        ingest: { socket: \(work)/agent-\(n).sock }
        buffer: { path: \(work)/agent-\(n).db, max_bytes: 4GiB }
        shipping: { max_batch_records: \(batchRecords), max_batch_bytes: \(batchBytes), max_in_flight: \(inFlight) }
        sampling: { interval: 10s }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-agent").path,
            ["run", "--config", config, "--log-level", "warning"])
        guard BenchProcess.waitForFile("\(work)/agent-\(n).sock") else {
            agent.stop()
            throw BenchError("agent \(n) did not start")
        }
        return agent
    }

    /// Starts a `stream-client` on agent `n`'s socket with `arguments` (`--seconds`, `--rate`); its output says
    /// how many events were made durable.
    static func startClient(_ n: Int, work: String, binDirectory: URL, arguments: [String]) throws -> BenchProcess {
        try BenchProcess(
            binDirectory.appendingPathComponent("vigil-bench").path,
            ["stream-client", "--socket", "\(work)/agent-\(n).sock", "--agent", "\(n)"] + arguments,
            captureOutput: true)
    }
}
