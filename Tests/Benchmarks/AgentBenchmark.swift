import Foundation
import GRDBSQLite
import NIOCore
import VigilAgent
import VigilProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Agent figures: durable ingest rate from a client in another process, the raw SQLite insert rate of
/// the same rows for comparison, and the idle cost of a running agent.
enum AgentBenchmark {
    static let events = 1_000_000

    static func run(binDirectory: URL, packageRoot: URL) async throws {
        let work = try benchWorkDirectory(
            "vigil-bench", packageRoot: packageRoot, certificateArguments: ["--agent", "bench-01"])
        defer { try? FileManager.default.removeItem(atPath: work) }

        Report.section("Agent ingest (\(events) binary events from a client process, buffer durability normal)")
        let ingest = try await ingestRate(work: work, binDirectory: binDirectory)
        let raw = try rawSQLiteRate(path: "\(work)/raw.db", rows: ingest.sampleRows)
        Report.line(
            "durable through the agent", String(format: "%12.0f events/s  (%.2f s)", ingest.rate, ingest.seconds))
        Report.line("raw SQLite C-API inserts", String(format: "%12.0f rows/s    (same rows, 10k per txn)", raw))
        Report.line("agent / raw SQLite", String(format: "%12.2f", ingest.rate / raw))

        Report.section("Agent idle cost (60 s, sampling every 1 s, no traffic)")
        let idle = try await idleCost(work: work, binDirectory: binDirectory, seconds: 60)
        Report.line(
            "CPU time",
            String(format: "%.2f s user+system (%.2f %% of one core)", idle.cpuSeconds, idle.cpuSeconds / 60 * 100))
        Report.line("peak RSS", "\(idle.peakRSSKiB / 1024) MiB (VmHWM \(idle.peakRSSKiB) KiB)")
    }

    static func config(work: String, name: String, interval: String) throws -> String {
        let path = "\(work)/\(name).yaml"
        try """
        agent_id: bench-01
        labels: { service: bench, version: 1.0.0 }
        endpoints: ["127.0.0.1:1"]
        tls: { ca: \(work)/certs/ca.pem, cert: \(work)/certs/agent-bench-01.pem, key: \(work)/certs/agent-bench-01.key }
        ingest: { socket: \(work)/\(name).sock }
        buffer: { path: \(work)/\(name).db, max_bytes: 4GiB }
        sampling: { interval: \(interval) }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func ingestRate(
        work: String, binDirectory: URL
    ) async throws -> (rate: Double, seconds: Double, sampleRows: [[UInt8]]) {
        let config = try config(work: work, name: "ingest", interval: "10s")
        let agent = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-agent").path,
            ["run", "--config", config, "--log-level", "warning"])
        defer { agent.stop() }
        guard BenchProcess.waitForFile("\(work)/ingest.sock") else { throw BenchError("agent did not start") }
        let client = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-bench").path,
            ["ingest-client", "--socket", "\(work)/ingest.sock", "--count", "\(events)"],
            captureOutput: true
        )
        let output = client.waitForOutput()
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("seconds=") }),
            let seconds = Double(line.dropFirst(8))
        else {
            throw BenchError("client failed: \(output)")
        }
        // The rows the agent stored, for the raw comparison: the same bytes it wrote.
        let rows = try BenchSQLite.readBlobs(path: "\(work)/ingest.db", limit: events)
        return (Double(events) / seconds, seconds, rows)
    }

    /// Inserts `rows` (repeated to `events`) through the SQLite C API, WAL + synchronous=NORMAL,
    /// 10,000 rows per transaction: the ceiling the agent's buffer could reach.
    static func rawSQLiteRate(path: String, rows: [[UInt8]]) throws -> Double {
        guard !rows.isEmpty else { throw BenchError("no rows to insert") }
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw BenchError("open \(path)") }
        defer { sqlite3_close(db) }
        sqlite3_exec(
            db,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE records (seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL)",
            nil, nil, nil)
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO records (seq, bytes) VALUES (?, ?)", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        let start = ContinuousClock.now
        var seq: Int64 = 1
        while seq <= Int64(events) {
            sqlite3_exec(db, "BEGIN", nil, nil, nil)
            for _ in 0..<10_000 where seq <= Int64(events) {
                let row = rows[Int(seq - 1) % rows.count]
                sqlite3_bind_int64(statement, 1, seq)
                _ = row.withUnsafeBytes { sqlite3_bind_blob(statement, 2, $0.baseAddress, Int32($0.count), nil) }
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("insert failed") }
                sqlite3_reset(statement)
                seq += 1
            }
            sqlite3_exec(db, "COMMIT", nil, nil, nil)
        }
        return Double(events) / (ContinuousClock.now - start).seconds
    }

    static func idleCost(
        work: String, binDirectory: URL, seconds: Int
    ) async throws -> (cpuSeconds: Double, peakRSSKiB: Int) {
        let config = try config(work: work, name: "idle", interval: "1s")
        let agent = try BenchProcess(
            binDirectory.appendingPathComponent("vigil-agent").path,
            ["run", "--config", config, "--log-level", "error"])
        defer { agent.stop() }
        guard BenchProcess.waitForFile("\(work)/idle.sock") else { throw BenchError("agent did not start") }
        let before = BenchProcess.cpuSeconds(pid: agent.pid)
        try await Task.sleep(for: .seconds(seconds))
        let after = BenchProcess.cpuSeconds(pid: agent.pid)
        return (after - before, BenchProcess.peakRSSKiB(pid: agent.pid))
    }
}

/// The `ingest-client` mode: streams `count` events over the binary socket and prints the time until
/// the agent acknowledged the last one as durable.
enum IngestClientMode {
    static func run(socket: String, count: Int) async throws {
        var chunks: [ByteBuffer] = []
        var current = ByteBuffer()
        for i in 0..<count {
            var event = Vigil_V1_Event()
            event.eventID = withUnsafeBytes(of: (UInt64(i), UInt64(0xB3C4)), { Data($0) })
            event.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i) * 1000
            event.name = "request"
            event.outcome = i % 20 == 0 ? .error : .ok
            event.durationMs = Double(i % 500) + 0.5
            event.attributes = ["route": "/api/cart"]
            var record = Vigil_V1_Record()
            record.event = event
            try current.writeLengthPrefixedMessage(record)
            if current.readableBytes >= 256 << 10 {
                chunks.append(current)
                current = ByteBuffer()
            }
        }
        if current.readableBytes > 0 { chunks.append(current) }
        let start = ContinuousClock.now
        let ack = try await IngestClient.send(
            framedChunks: chunks, count: count, socketPath: socket, timeout: .seconds(600))
        let seconds = (ContinuousClock.now - start).seconds
        guard ack.durableCount == UInt64(count) else {
            throw BenchError("only \(ack.durableCount) of \(count) durable: \(ack.lastRejection)")
        }
        print("seconds=\(seconds)")
    }
}
