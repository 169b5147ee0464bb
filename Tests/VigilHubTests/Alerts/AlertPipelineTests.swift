import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// Alerts end to end inside one hub: failing calls arrive through the real receiver (mutual TLS) into the real
/// SQLite store, the rollup job and the decision engine turn them into series, the engine hands the series to
/// the alert rules as the hub's evaluation loop does, and the firing alert is POSTed to a real HTTP server.
/// Evaluations are run with injected instants; the hub's own loop is set to an hour so only these calls count.
@Suite("Alerts from received data", .timeLimit(.minutes(3)))
struct AlertPipelineTests {
    static let rules = """
        rules:
          - name: LedgerErrors
            series: 'error_rate{service="ledger",host="h01"}'
            comparison: ">"
            critical: 0.5
            for: 30s
            annotations: { summary: "ledger on {{ $labels.host }} fails {{ $value }}" }
        """

    @Test("an error-rate alert with for: 30s fires after 30 s of evaluations and not before, and its webhook arrives")
    func alertFiresAfterForAndIsDelivered() async throws {
        try await WebhookReceiver.with { receiver, url in
            let rulesFile = TemporaryDirectory()
            let path = rulesFile.file("rules.yaml")
            try Self.rules.write(toFile: path, atomically: true, encoding: .utf8)
            try await TestHub.with(configure: { configuration in
                configuration.evaluationInterval = .seconds(3600)
                configuration.alerts.rules = [path]
                configuration.alerts.webhooks = [url.absoluteString]
            }) { hub in
                let end = Traffic.currentMinute
                var failing = Traffic.Profile()
                failing.errorRate = 0.8
                var rng = SplitMix64(seed: 3)
                let records = Traffic.events(
                    service: "ledger", version: "1.0.0", host: "h01", hostIndex: 0, profile: failing,
                    minutes: (end - 3)..<end, rng: &rng)
                try await Traffic.send(
                    records, as: "h01", labels: ["service": "ledger", "version": "1.0.0"], to: hub)

                let start = Instant(nanosecondsSinceEpoch: end * 60_000_000_000 + 1_000_000_000)
                for offset in [0, 10, 20, 29] {
                    _ = await hub.runtime.decisions.evaluate(at: start + .seconds(offset))
                    let alerts = await hub.runtime.alerts.alerts
                    let alert = try #require(alerts.first { $0.rule == "LedgerErrors" }, "at +\(offset) s")
                    #expect(alert.state == .pending, "at +\(offset) s")
                }
                #expect(receiver.attempts.isEmpty)

                _ = await hub.runtime.decisions.evaluate(at: start + .seconds(30))
                let firing = await hub.runtime.alerts.alerts.first { $0.rule == "LedgerErrors" }
                #expect(firing?.state == .firing)
                #expect(await eventually(60) { receiver.attempts.count == 1 })
                let body = try #require(try receiver.delivered().first)
                #expect(body["status"] as? String == "firing")
                #expect(body["rule"] as? String == "LedgerErrors")
                #expect((body["labels"] as? [String: String])?["host"] == "h01")
                let value = try #require(body["value"] as? Double)
                #expect(value > 0.5 && value < 1)
            }
        }
    }
}
