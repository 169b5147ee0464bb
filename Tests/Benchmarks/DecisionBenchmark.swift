import Foundation
import GRDBSQLite
import VigilAnalytics
import VigilHub

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue #5 part 7–12 figures at size: 10 M events over 30 days for 5 services × 3 versions × 20 hosts per
/// service (each host runs one version), plus the last hour of host samples. The store is seeded by direct
/// SQLite inserts matching HubSchema (fast); then the real rollup job rolls everything up (timed), the
/// decision engine's evaluation is timed in CPU and wall time per cycle, and a real `vigil-hub serve` over
/// the database answers `GET /v1/versions` (latency over repeated requests). Run alone with
/// `vigil-bench --only decisions [--events N]`.
enum DecisionBenchmark {
    static let services = 5
    static let versions = 3
    static let hostsPerService = 20
    static let days: Int64 = 30

    static func run(binDirectory: URL, packageRoot: URL, events: Int) async throws {
        let work = try benchWorkDirectory("vigil-bench-decisions", packageRoot: packageRoot)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let path = "\(work)/hub.db"
        Report.section(
            "Decisions: \(Double(events) / 1e6) M events over \(days) days, \(services) services × \(versions) "
                + "versions × \(hostsPerService) hosts")
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        do { _ = try SQLiteEventStore.open(path: path) }  // applies the migrations
        var started = ContinuousClock.now
        let samples = try seed(path: path, events: events, now: now)
        Report.line(
            "seeded by direct inserts",
            String(
                format: "%.1f s (%d events, %d samples)", (ContinuousClock.now - started).seconds, events, samples))

        let store = try SQLiteEventStore.open(path: path)
        let rollups = RollupService(store: store, keep: .seconds(365 * 86_400), now: { now })
        started = ContinuousClock.now
        let cpuBefore = processCPUSeconds()
        let progress = await rollups.catchUp()
        let rollupSeconds = (ContinuousClock.now - started).seconds
        Report.line(
            "rollup job, catching up",
            String(
                format: "%.1f s wall, %.1f s CPU, %.0f records/s, %d rows written", rollupSeconds,
                processCPUSeconds() - cpuBefore, Double(progress.events + progress.samples) / rollupSeconds,
                progress.rowsWritten))

        var configuration = HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))
        configuration.judge.window = .seconds(30 * 60)
        let engine = DecisionEngine(
            settings: DecisionSettings(configuration: configuration), store: store, rollups: nil)
        var cpu: [Double] = []
        var wall: [Double] = []
        for cycle in 0..<6 {
            let cpuStart = processCPUSeconds()
            let wallStart = ContinuousClock.now
            let report = await engine.evaluate(
                at: Instant(nanosecondsSinceEpoch: now + Int64(cycle) * 10_000_000_000))
            cpu.append((processCPUSeconds() - cpuStart) * 1000)
            wall.append((ContinuousClock.now - wallStart).seconds * 1000)
            if cycle == 0 {
                Report.line("recommendations per cycle", "\(report.recommendations.count)")
                Report.line("series per cycle", "\(await engine.series.count)")
            }
        }
        Report.line("evaluation, first cycle", String(format: "%.1f ms CPU, %.1f ms wall", cpu[0], wall[0]))
        let steady = Array(cpu.dropFirst()).sorted()
        Report.line(
            "evaluation, steady cycles",
            String(
                format: "median %.1f ms CPU (max %.1f), median %.1f ms wall", steady[steady.count / 2],
                steady.last ?? 0, Array(wall.dropFirst()).sorted()[steady.count / 2]))

        let hub = try PipelineBenchmark.startHub(work: work, binDirectory: binDirectory, database: path)
        defer { hub.process.stop() }
        for window in ["30m", "24h"] {
            let latencies = try await PipelineBenchmark.getLatencies(
                URL(string: "http://\(hub.admin)/v1/versions?service=svc-1&window=\(window)")!)
            Report.line(
                "GET /v1/versions window=\(window)",
                String(
                    format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms over 50 requests", latencies[25],
                    latencies[49 * 99 / 100], latencies[49]))
        }
    }

    /// Inserts `events` events spread evenly over 30 days (about one every 0.26 s at 10 M) and six samples
    /// per minute of each of three metrics for every host over the last hour; returns the sample count.
    static func seed(path: String, events: Int, now: Int64) throws -> Int {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        try exec("PRAGMA synchronous = OFF")
        let hosts = services * hostsPerService
        try exec("BEGIN")
        for host in 0..<hosts {
            let service = host / hostsPerService
            let version = host % versions
            try exec(
                """
                INSERT INTO agents (agent_id, hostname, labels, first_seen, last_seen, connected, newest_record)
                VALUES ('host-\(host)', 'host-\(host)', '{"service":"svc-\(service)","version":"1.\(version).0"}',
                        \(now), \(now), 1, \(now))
                """)
        }
        try exec("COMMIT")
        var insert: OpaquePointer?
        sqlite3_prepare_v2(
            db,
            """
            INSERT INTO events (time_unix_nano, event_id, agent_id, seq, service, version, name, outcome, duration_ms,
                                error_category, attributes)
            VALUES (?, ?, ?, ?, ?, ?, 'request', ?, ?, ?, NULL)
            """, -1, &insert, nil)
        defer { sqlite3_finalize(insert) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let span = days * 86_400 * 1_000_000_000
        let step = span / Int64(events)
        var rng = UInt64(0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 {
            rng ^= rng << 13
            rng ^= rng >> 7
            rng ^= rng << 17
            return rng
        }
        let categories = ["timeout", "upstream_5xx", "validation"]
        try exec("BEGIN")
        for n in 0..<events {
            if n > 0 && n % 500_000 == 0 {
                try exec("COMMIT")
                try exec("BEGIN")
            }
            let host = Int(next() % UInt64(hosts))
            let service = host / hostsPerService
            let version = host % versions
            let failed = next() % 100 < UInt64(1 + version)
            let duration = 20 + Double(next() % 10_000) / 100 * Double(1 + version)
            sqlite3_reset(insert)
            sqlite3_bind_int64(insert, 1, now - span + Int64(n) * step)
            var id = (UInt64(n), UInt64(0xDEC1))
            withUnsafeBytes(of: &id) { _ = sqlite3_bind_blob(insert, 2, $0.baseAddress, 16, transient) }
            sqlite3_bind_text(insert, 3, "host-\(host)", -1, transient)
            sqlite3_bind_int64(insert, 4, Int64(n))
            sqlite3_bind_text(insert, 5, "svc-\(service)", -1, transient)
            sqlite3_bind_text(insert, 6, "1.\(version).0", -1, transient)
            sqlite3_bind_int64(insert, 7, failed ? 2 : 1)
            sqlite3_bind_double(insert, 8, duration)
            sqlite3_bind_text(insert, 9, failed ? categories[n % 3] : "", -1, transient)
            guard sqlite3_step(insert) == SQLITE_DONE else {
                throw BenchError("insert: \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        try exec("COMMIT")
        var sampleInsert: OpaquePointer?
        sqlite3_prepare_v2(
            db,
            "INSERT INTO samples (time_unix_nano, agent_id, seq, metric, value, labels) VALUES (?, ?, ?, ?, ?, NULL)",
            -1, &sampleInsert, nil)
        defer { sqlite3_finalize(sampleInsert) }
        var count = 0
        try exec("BEGIN")
        for host in 0..<hosts {
            for tick in 0..<360 {
                for metric in ["cpu.utilization", "memory.utilization", "queue.depth"] {
                    sqlite3_reset(sampleInsert)
                    sqlite3_bind_int64(sampleInsert, 1, now - 3_600_000_000_000 + Int64(tick) * 10_000_000_000)
                    sqlite3_bind_text(sampleInsert, 2, "host-\(host)", -1, transient)
                    sqlite3_bind_int64(sampleInsert, 3, Int64(count))
                    sqlite3_bind_text(sampleInsert, 4, metric, -1, transient)
                    let value = metric == "queue.depth" ? Double(next() % 40) : 0.3 + Double(next() % 50) / 100
                    sqlite3_bind_double(sampleInsert, 5, value)
                    guard sqlite3_step(sampleInsert) == SQLITE_DONE else {
                        throw BenchError("sample insert: \(String(cString: sqlite3_errmsg(db)))")
                    }
                    count += 1
                }
            }
        }
        try exec("COMMIT")
        return count
    }

    /// This process's user + system CPU time, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
