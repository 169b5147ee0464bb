import Foundation
import VigilClient

#if canImport(Glibc)
    import Glibc
#endif

/// The client libraries (Agent/Clients): events/s from one application thread until every event is durable
/// at the agent, each beside its reference measured in the same run — the same events encoded before the
/// clock starts and written by a bare socket, what the agent's ingest takes when the client costs nothing.
/// C speaks the binary framing (reference: `ingest-client`); Swift and Python speak JSON lines (reference:
/// `bench_vigil_client.py --raw`). Each measurement has a fresh agent (buffer durability normal).
enum ClientBenchmark {
    static func run(binDirectory: URL, packageRoot: URL, events: Int) async throws {
        let work = try benchWorkDirectory(
            "vigil-client-bench", packageRoot: packageRoot, certificateArguments: ["--agent", "bench-01"])
        defer { try? FileManager.default.removeItem(atPath: work) }
        let bench = binDirectory.appendingPathComponent("vigil-bench").path
        let python = packageRoot.appendingPathComponent("Agent/Clients/Python/bench_vigil_client.py").path
        let cBench = packageRoot.appendingPathComponent("Agent/Clients/C/build/vigil-c-bench").path
        let runs: [(label: String, count: Int, command: [String])] = [
            ("C libvigil", events, [cBench, "--events", "\(events)"]),
            ("  reference: binary frames", events, [bench, "ingest-client", "--count", "\(events)"]),
            ("Swift VigilClient", events, [bench, "swift-client", "--count", "\(events)"]),
            ("Python vigil_client", events / 4, ["/usr/bin/env", "python3", python, "--events", "\(events / 4)"]),
            (
                "  reference: JSON lines", events / 4,
                ["/usr/bin/env", "python3", python, "--events", "\(events / 4)", "--raw"]
            ),
        ]
        Report.section("Client libraries (one application thread, events/s until durable at the agent)")
        for (index, run) in runs.enumerated() {
            let seconds = try await measure(work: work, name: "client-\(index)", binDirectory: binDirectory) {
                socket in run.command + ["--socket", socket]
            }
            Report.line(
                run.label,
                String(format: "%12.0f events/s  (%d events, %.2f s)", Double(run.count) / seconds, run.count, seconds))
        }
    }

    /// Starts an agent, runs the client `command(socket)`, returns the seconds it printed as `seconds=…`.
    private static func measure(
        work: String, name: String, binDirectory: URL, command: (String) -> [String]
    ) async throws -> Double {
        let config = try AgentBenchmark.config(work: work, name: name, interval: "10s")
        let agent = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-agent").path,
            ["run", "--config", config, "--log-level", "warning"])
        defer { agent.stop() }
        let socket = "\(work)/\(name).sock"
        guard BenchProcess.waitForFile(socket) else { throw BenchError("agent did not start") }
        let arguments = command(socket)
        let client = try BenchProcess(arguments[0], Array(arguments.dropFirst()), captureOutput: true)
        let output = client.waitForOutput()
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("seconds=") }),
            let seconds = Double(line.dropFirst(8))
        else { throw BenchError("\(arguments.joined(separator: " ")) failed: \(output)") }
        return seconds
    }
}

/// The `swift-client` mode: `count` events through ``VigilClient`` from one task, waiting out a full queue,
/// then a flush; prints the seconds until all were durable.
enum SwiftClientMode {
    static func run(socket: String, count: Int) async throws {
        let client = VigilClient(socketPath: socket, service: "bench", version: "1.0.0")
        let start = ContinuousClock.now
        for i in 0..<count {
            let event = VigilEvent("request", durationMs: Double(i % 500), attributes: ["route": "/checkout"])
            while await !client.send(event) { try await Task.sleep(for: .microseconds(200)) }
        }
        let left = await client.flush(timeout: .seconds(300))
        let seconds = (ContinuousClock.now - start).seconds
        _ = await client.close(timeout: .seconds(1))
        guard left == 0 else { throw BenchError("\(left) of \(count) events not durable") }
        print("seconds=\(seconds)")
    }
}
