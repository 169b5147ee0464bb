import Foundation
import Testing
import VigilHub

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Admin HTTP API", .timeLimit(.minutes(2)))
struct AdminAPITests {
    func get(_ hub: TestHub, _ path: String) async throws -> (Int, Data, String?) {
        let url = URL(string: "http://127.0.0.1:\(hub.adminPort)\(path)")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http.value(forHTTPHeaderField: "Content-Type"))
    }

    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Sends one batch of `count` events as `web-01` so the figures are not all zero.
    func ingest(_ hub: TestHub, count: Int) async throws {
        let client = try await TestAgentClient.connect(port: hub.listenPort)
        try await client.send(Records.hello(labels: ["service": "checkout", "version": "1.4.0"]))
        _ = try await client.nextFrame()
        try await client.send(Records.batch(firstSeq: 1, Records.events(1...count)))
        _ = try await client.nextFrame()
        await client.close()
        _ = try await TestHub.eventually { try await hub.store.agents().first?.connected == false }
    }

    @Test("GET /v1/status reports version, id, uptime, store, ingest, totals, rejects and connections")
    func status() async throws {
        try await TestHub.with { hub in
            try await ingest(hub, count: 7)
            let (code, data, type) = try await get(hub, "/v1/status")
            #expect(code == 200)
            #expect(type?.hasPrefix("application/json") == true)
            let body = try json(data)
            #expect(body["hub_version"] as? String == VigilHubInfo.version)
            #expect(body["hub_id"] as? String == "test-hub")
            #expect((body["uptime_seconds"] as? Double ?? -1) >= 0)
            let store = try #require(body["store"] as? [String: Any])
            #expect(store["kind"] as? String == "sqlite")
            #expect((store["path"] as? String)?.hasSuffix("hub.db") == true)
            let ingest = try #require(body["ingest"] as? [String: Any])
            #expect((ingest["records_per_second"] as? Double ?? 0) > 0)
            #expect(ingest["window_seconds"] as? Int == 10)
            let totals = try #require(body["totals"] as? [String: Any])
            #expect(totals["records"] as? Int == 7)
            #expect(totals["events"] as? Int == 7)
            #expect(totals["samples"] as? Int == 0)
            #expect(totals["duplicates"] as? Int == 0)
            #expect(totals["gaps"] as? Int == 0)
            let rejects = try #require(body["rejects"] as? [String: Any])
            #expect(
                Set(rejects.keys) == ["protocol", "unauthorized", "unsupported_version", "too_large", "overloaded"])
            #expect(body["tls_handshake_failures"] as? Int == 0)
            #expect(body["agents_connected"] as? Int == 0)
            let decoded = try JSONDecoder().decode(StatusReport.self, from: data)
            #expect(decoded.totals.records == 7)
        }
    }

    @Test("GET /v1/agents lists each agent with labels, connection, lag and counts")
    func agents() async throws {
        try await TestHub.with { hub in
            try await ingest(hub, count: 3)
            let (code, data, _) = try await get(hub, "/v1/agents")
            #expect(code == 200)
            let agents = try #require(try json(data)["agents"] as? [[String: Any]])
            #expect(agents.count == 1)
            let agent = agents[0]
            #expect(agent["id"] as? String == "web-01")
            #expect(agent["hostname"] as? String == "host-web-01")
            #expect((agent["labels"] as? [String: String])?["version"] == "1.4.0")
            #expect(agent["connected"] as? Bool == false)
            #expect(agent["last_seen"] is String)
            #expect((agent["lag_seconds"] as? Double ?? -1) > 0)
            #expect(agent["records"] as? Int == 3)
            #expect(agent["duplicates"] as? Int == 0)
            #expect(agent["gaps"] as? Int == 0)
            let (_, connectedOnly, _) = try await get(hub, "/v1/agents?connected=true")
            #expect((try json(connectedOnly)["agents"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a bad query parameter answers 400 naming the parameter")
    func badParameter() async throws {
        try await TestHub.with { hub in
            let (code, data, _) = try await get(hub, "/v1/agents?connected=maybe")
            #expect(code == 400)
            let body = try json(data)
            #expect(body["parameter"] as? String == "connected")
            #expect((body["error"] as? String)?.contains("true or false") == true)
            let (unknownCode, unknown, _) = try await get(hub, "/v1/status?verbose=1")
            #expect(unknownCode == 400)
            #expect(try json(unknown)["parameter"] as? String == "verbose")
        }
    }

    @Test("GET /metrics is Prometheus text with HELP and TYPE lines and the status figures")
    func metrics() async throws {
        try await TestHub.with { hub in
            try await ingest(hub, count: 4)
            let (code, data, type) = try await get(hub, "/metrics")
            #expect(code == 200)
            #expect(type?.hasPrefix("text/plain") == true)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("# HELP vigil_hub_records_total "))
            #expect(text.contains("# TYPE vigil_hub_records_total counter\nvigil_hub_records_total 4\n"))
            #expect(text.contains("vigil_hub_duplicates_total 0\n"))
            #expect(text.contains("vigil_hub_rejects_total{code=\"unauthorized\"} 0\n"))
            #expect(text.contains("# TYPE vigil_hub_agents_connected gauge\nvigil_hub_agents_connected 0\n"))
            #expect(text.contains("vigil_hub_tls_handshake_failures_total{reason=\"no_certificate\"} 0\n"))
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.split(separator: " ").count == 2, "malformed sample line: \(line)")
            }
        }
    }
}
