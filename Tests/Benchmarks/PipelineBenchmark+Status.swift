import Foundation
import VigilHub
import VigilProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// `GET /v1/status` latency over a hub database holding 10 M events.
extension PipelineBenchmark {
    /// Loads 10 M events into a hub database through the store, starts the hub on it, and times
    /// `GET /v1/status`.
    static func statusLatency(binDirectory: URL, packageRoot: URL, events: Int) async throws {
        let work = try benchWorkDirectory("vigil-bench-status", packageRoot: packageRoot)
        defer { try? FileManager.default.removeItem(atPath: work) }
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
        let latencies = try await getLatencies(URL(string: "http://\(hub.admin)/v1/status")!)
        Report.line(
            "latency over 50 requests",
            String(
                format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", latencies[25], latencies[49 * 99 / 100], latencies[49])
        )
    }

    /// Milliseconds for each of `count` GETs of `url`, sorted; any answer but a non-empty 200 is an error.
    static func getLatencies(_ url: URL, count: Int = 50) async throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<count {
            let started = ContinuousClock.now
            let (data, response) = try await URLSession.shared.data(from: url)
            guard (response as? HTTPURLResponse)?.statusCode == 200, !data.isEmpty else {
                throw BenchError("GET \(url.path) failed: \(String(decoding: data, as: UTF8.self))")
            }
            latencies.append((ContinuousClock.now - started).seconds * 1000)
        }
        return latencies.sorted()
    }
}
