import Foundation
import Testing
import VigilHub
import VigilProtocol

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Authorization through the real receiver (TLS, certificates from deploy/certs.sh): `checkout-01` is certified
/// for `checkout` and `checkout-worker`, `fleet-01` for `*`, `web-01` names no service.
@Suite("Authorization: an agent speaks only for its services", .timeLimit(.minutes(2)))
struct AuthorizationTests {
    func connect(
        _ hub: TestHub, agent: String, labels: [String: String] = ["service": "checkout"]
    ) async throws
        -> TestAgentClient
    {
        var options = TestAgentClient.Options()
        options.agent = agent
        let client = try await TestAgentClient.connect(port: hub.listenPort, options: options)
        try await client.send(Records.hello(agentID: agent, streamID: Records.stream(7), labels: labels))
        let frame = try await client.nextFrame()
        guard case .welcome = frame.body else { throw TestTimeout(what: "expected Welcome, got \(frame)") }
        return client
    }

    func nextAck(_ client: TestAgentClient) async throws -> Vigil_V1_Ack {
        let frame = try await client.nextFrame()
        guard case .ack(let ack) = frame.body else { throw TestTimeout(what: "expected Ack, got \(frame)") }
        return ack
    }

    func get(_ hub: TestHub, _ path: String) async throws -> String {
        let url = URL(string: "http://127.0.0.1:\(hub.adminPort)\(path)")!
        return String(decoding: try await URLSession.shared.data(from: url).0, as: UTF8.self)
    }

    func json(_ hub: TestHub, _ path: String) async throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(try await get(hub, path).utf8)) as? [String: Any])
    }

    func storedServices(_ hub: TestHub) async throws -> [String: Int] {
        var count: [String: Int] = [:]
        for record in try await hub.store.records(matching: RecordQuery()) {
            if case .event = record.body { count[record.service, default: 0] += 1 }
        }
        return count
    }

    /// Five checkout events, three payments events, one sample: positions 0-4, 5-7, 8.
    static let mixed: [Vigil_V1_Record] =
        (1...5).map { Records.event($0, service: "checkout") } + (6...8).map { Records.event($0, service: "payments") }
        + [Records.sample(9)]

    @Test("a checkout agent's payments events are refused and counted; its checkout events and samples are stored")
    func certificateRefuses() async throws {
        try await TestHub.with { hub in
            let client = try await connect(hub, agent: "checkout-01")
            try await client.send(Records.batch(firstSeq: 1, Self.mixed))
            let ack = try await nextAck(client)
            #expect(ack.throughSeq == 9, "the batch is acknowledged through its last seq, refused records too")
            #expect(ack.refused == 3)
            #expect(try await storedServices(hub) == ["checkout": 5])
            let totals = try await hub.store.totals()
            #expect(totals.samples == 1)
            #expect(totals.refusedByAgent == ["checkout-01": ["certificate": 3]])
            let agent = try #require(try await hub.store.agents().first { $0.agentID == "checkout-01" })
            #expect(agent.refused == [.certificate: 3] && agent.lastRefusedService == "payments")
            #expect(agent.records == 6)

            // The same batch again after a reconnect (its ack lost, say): skipped as stored, not counted twice.
            await client.close()
            let again = try await connect(hub, agent: "checkout-01")
            try await again.send(Records.batch(firstSeq: 1, Self.mixed))
            let second = try await nextAck(again)
            #expect(second.throughSeq == 9 && second.refused == 0)
            #expect(try await hub.store.totals().refusedByAgent == ["checkout-01": ["certificate": 3]])

            let metrics = try await get(hub, "/metrics")
            #expect(metrics.contains(#"vigil_hub_records_refused_total{agent="checkout-01",reason="certificate"} 3"#))
            let status = try await json(hub, "/v1/status")
            let authorization = try #require(status["authorization"] as? [String: Any])
            #expect(authorization["refused_by_reason"] as? [String: Int] == ["certificate": 3, "policy": 0])
            #expect(authorization["mode"] as? String == "certificates only")
            let agents = try #require(try await json(hub, "/v1/agents")["agents"] as? [[String: Any]])
            let listed = try #require(agents.first { $0["id"] as? String == "checkout-01" })
            #expect(listed["refused"] as? Int == 3 && listed["last_refused_service"] as? String == "payments")
            await again.close()
        }
    }

    @Test("the backlog an agent reports in its batches is the hub's figure for it until it disconnects")
    func backlogReported() async throws {
        try await TestHub.with { hub in
            let client = try await connect(hub, agent: "web-01")
            var frame = Records.batch(firstSeq: 1, Records.events(1...3))
            frame.batch.backlogRecords = 4_200
            try await client.send(frame)
            _ = try await nextAck(client)
            let agents = try #require(try await json(hub, "/v1/agents")["agents"] as? [[String: Any]])
            #expect(agents.first?["backlog_records"] as? Int == 4_200)
            let page = try await get(hub, "/?fragment=1")
            #expect(page.contains(">4200<"), "the fleet page's agents table shows it")
            await client.close()
            #expect(
                try await TestHub.eventually {
                    let agents = try await json(hub, "/v1/agents")["agents"] as? [[String: Any]]
                    return agents?.first?["connected"] as? Bool == false && agents?.first?["backlog_records"] == nil
                })
        }
    }

    @Test("vigil:service:* lets an agent speak for every service; a certificate without service names does too")
    func wildcardAllows() async throws {
        try await TestHub.with { hub in
            for agent in ["fleet-01", "web-01"] {
                let client = try await connect(hub, agent: agent)
                try await client.send(Records.batch(firstSeq: 1, Self.mixed))
                #expect(try await nextAck(client).refused == 0)
                await client.close()
            }
            #expect(try await hub.store.totals().refusedTotal == 0)
        }
    }

    @Test("a hub policy narrower than the certificate wins, and the reason says it was the policy")
    func policyNarrows() async throws {
        let policy = """
            authorization:
              default: deny
              agents:
                - match: "checkout-*"
                  services: [checkout]
                - match: "fleet-*"
                  services: ["*"]
            """
        try await TestHub.with(configurationYAML: policy) { hub in
            let client = try await connect(hub, agent: "checkout-01")
            let records = [Records.event(1, service: "checkout"), Records.event(2, service: "checkout-worker")]
            try await client.send(Records.batch(firstSeq: 1, records))
            #expect(try await nextAck(client).refused == 1)
            #expect(try await storedServices(hub) == ["checkout": 1])
            #expect(try await hub.store.totals().refusedByAgent == ["checkout-01": ["policy": 1]])
            await client.close()

            // web-01's certificate allows everything; no rule matches it, and the default is deny.
            let web = try await connect(hub, agent: "web-01", labels: [:])
            try await web.send(Records.batch(firstSeq: 1, [Records.event(3, service: "checkout")]))
            #expect(try await nextAck(web).refused == 1)
            await web.close()
        }
    }

    @Test("a Hello whose service label the agent may not use is refused UNAUTHORIZED, naming the label")
    func helloRefused() async throws {
        try await TestHub.with { hub in
            var options = TestAgentClient.Options()
            options.agent = "checkout-01"
            let client = try await TestAgentClient.connect(port: hub.listenPort, options: options)
            try await client.send(Records.hello(agentID: "checkout-01", labels: ["service": "payments"]))
            let frame = try await client.nextFrame()
            guard case .reject(let reject) = frame.body else {
                Issue.record("expected Reject, got \(frame)")
                return
            }
            #expect(reject.code == .unauthorized)
            #expect(reject.message.contains(#"Hello label service "payments""#))
            #expect(reject.message.contains("checkout, checkout-worker"))
            #expect(hub.counters.snapshot.rejects["unauthorized"] == 1)
            await client.close()
        }
    }

    @Test(
        "a policy reload takes effect for a connected agent without a restart; a file that does not load changes nothing"
    )
    func reloadApplies() async throws {
        let allow = """
            authorization: { default: allow }
            """
        try await TestHub.with(configurationYAML: allow) { hub in
            let client = try await connect(hub, agent: "checkout-01")
            try await client.send(Records.batch(firstSeq: 1, [Records.event(1, service: "checkout-worker")]))
            #expect(try await nextAck(client).refused == 0)

            let path = hub.directory.file("hub.yaml")
            try TestHub.writeConfiguration("authorization: { default: alow }\n", to: path, directory: hub.directory)
            #expect(try await TestHub.eventually { hub.runtime.reloader?.status.failures == 1 })
            let failed = try #require(hub.runtime.reloader?.status.lastError)
            #expect(failed.contains("authorization.default") && failed.contains("allow or deny"))
            try await client.send(Records.batch(firstSeq: 2, [Records.event(2, service: "checkout-worker")]))
            #expect(try await nextAck(client).refused == 0, "the policy in force stays when the new file does not load")

            try TestHub.writeConfiguration(
                """
                authorization:
                  default: deny
                  agents: [{ match: "checkout-01", services: [checkout] }]
                """, to: path, directory: hub.directory)
            #expect(try await TestHub.eventually { hub.runtime.reloader?.status.reloads == 1 })
            try await client.send(
                Records.batch(
                    firstSeq: 3, [Records.event(3, service: "checkout-worker"), Records.event(4, service: "checkout")]))
            #expect(try await nextAck(client).refused == 1)
            let status = try #require(try await json(hub, "/v1/status")["authorization"] as? [String: Any])
            #expect(status["mode"] as? String == "policy")
            #expect((status["policy"] as? String)?.contains("checkout-01 → [checkout]") == true)

            // A policy that no longer allows the agent's Hello label ends the connection.
            try TestHub.writeConfiguration(
                """
                authorization:
                  default: deny
                  agents: [{ match: "checkout-01", services: [checkout-worker] }]
                """, to: path, directory: hub.directory)
            #expect(try await TestHub.eventually { hub.runtime.reloader?.status.reloads == 2 })
            try await client.send(Records.batch(firstSeq: 5, [Records.event(5, service: "checkout-worker")]))
            let frame = try await client.nextFrame()
            guard case .reject(let reject) = frame.body else {
                Issue.record("expected Reject, got \(frame)")
                return
            }
            #expect(reject.code == .unauthorized && reject.message.contains("Hello label service"))
            await client.close()
        }
    }
}
