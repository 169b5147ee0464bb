import Foundation
import Testing
import VigilAnalytics
import VigilHub

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("GET /v1/alerts and alerting status", .timeLimit(.minutes(3)))
struct AlertsAPITests {
    func get(_ hub: TestHub, _ path: String) async throws -> (Int, [String: Any]) {
        let url = URL(string: "http://127.0.0.1:\(hub.adminPort)\(path)")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
    }

    @Test("lists firing and pending alerts with labels and times, filters them, and rejects bad parameters")
    func alerts() async throws {
        let rulesDirectory = TemporaryDirectory()
        let rulesPath = rulesDirectory.file("rules.yaml")
        try AlertManagerTests.rulesYAML.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        try await TestHub.with(configure: { $0.alerts.rules = [rulesPath] }) { hub in
            let alerts = hub.runtime.alerts
            let now = Int64(Date().timeIntervalSince1970)
            let web = ["service": "checkout", "host": "web-01"]
            let api = ["service": "checkout", "host": "api-01"]
            try await alerts.evaluate(
                series: [SeriesValue(name: .queueDepth, labels: web, value: 300)], now: .seconds(now - 30))
            try await alerts.evaluate(
                series: [
                    SeriesValue(name: .queueDepth, labels: web, value: 320),
                    SeriesValue(name: .queueDepth, labels: api, value: 150),
                ], now: .seconds(now))

            let (code, body) = try await get(hub, "/v1/alerts")
            #expect(code == 200)
            #expect(body["rules"] as? Int == 1)
            let list = try #require(body["alerts"] as? [[String: Any]])
            #expect(list.map { $0["state"] as? String } == ["firing", "pending"])
            let firing = list[0]
            #expect(firing["rule"] as? String == "QueueBacklog")
            #expect(firing["severity"] as? String == "warning")
            #expect((firing["labels"] as? [String: String])?["host"] == "web-01")
            #expect((firing["annotations"] as? [String: String])?["summary"] == "web-01 queue at 320")
            #expect(firing["value"] as? Double == 320)
            #expect(firing["fired_at"] is String)
            #expect(firing["inhibited"] as? Bool == false)

            let (_, onlyPending) = try await get(hub, "/v1/alerts?state=pending")
            #expect((onlyPending["alerts"] as? [[String: Any]])?.count == 1)
            let (_, none) = try await get(hub, "/v1/alerts?severity=critical&rule=QueueBacklog")
            #expect((none["alerts"] as? [[String: Any]])?.isEmpty == true)

            let (badCode, bad) = try await get(hub, "/v1/alerts?state=burning")
            #expect(badCode == 400)
            #expect(bad["parameter"] as? String == "state")
            let (unknownCode, unknown) = try await get(hub, "/v1/alerts?colour=red")
            #expect(unknownCode == 400)
            #expect(unknown["parameter"] as? String == "colour")

            let (_, status) = try await get(hub, "/v1/status")
            let alerting = try #require(status["alerting"] as? [String: Any])
            #expect(alerting["rules"] as? Int == 1)
            #expect(alerting["firing"] as? Int == 1)
            #expect(alerting["pending"] as? Int == 1)
            #expect(alerting["evaluations"] as? Int == 2)
            let notifications = try #require(alerting["notifications"] as? [String: Any])
            #expect(notifications["sent"] as? Int == 0)
            #expect(notifications["dropped"] as? Int == 0)

            let metrics = try await URLSession.shared.data(
                from: URL(string: "http://127.0.0.1:\(hub.adminPort)/metrics")!
            ).0
            let text = String(decoding: metrics, as: UTF8.self)
            #expect(text.contains("vigil_hub_alerts{state=\"firing\"} 1\n"))
            #expect(text.contains("vigil_hub_webhook_failed_total 0\n"))
        }
    }

    @Test("a hub whose rule file is invalid does not start and says which file and key")
    func badRules() async throws {
        let rulesDirectory = TemporaryDirectory()
        let rulesPath = rulesDirectory.file("rules.yaml")
        try "rules:\n  - name: A\n    series: error_rate\n    warnin: 1\n".write(
            toFile: rulesPath, atomically: true, encoding: .utf8)
        do {
            try await TestHub.with(configure: { $0.alerts.rules = [rulesPath] }) { _ in }
            Issue.record("the hub started with an invalid rule file")
        } catch let error as HubStartupError {
            #expect(error.message.contains("\(rulesPath): rules[0].warnin: unknown key"))
        }
    }
}
