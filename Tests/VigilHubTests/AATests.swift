import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// The judge's false-alarm rate with the whole pipeline below it except the network: 100 seeded A/A
/// comparisons (same distribution on both sides) are committed straight into one real SQLite store (one
/// service per run, so the runs are independent), rolled up by the real rollup job and judged by the
/// decision engine. The receiver is left out here only to keep 100 runs fast; DecisionTests runs an A/A
/// comparison through the receiver.
@Suite("A/A comparisons", .timeLimit(.minutes(10)))
struct AATests {
    @Test("at least 95 of 100 seeded A/A comparisons are judged PROMOTE")
    func sameDistributionPromotes() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        let end = Traffic.currentMinute
        let minutes = (end - 30)..<end
        var profile = Traffic.Profile()
        profile.eventsPerMinute = 10
        for run in 0..<100 {
            var rng = SplitMix64(seed: UInt64(1000 + run))
            for (index, host) in DecisionHosts.names.prefix(10).enumerated() {
                let version = index < 5 ? "1.0.0" : "2.0.0"
                let records = Traffic.events(
                    service: "aa-\(run)", version: version, host: host, hostIndex: index, profile: profile,
                    minutes: minutes, rng: &rng)
                try await Traffic.commit(records, as: "\(host)-\(run)", labels: ["version": version], to: store)
            }
        }
        var configuration = HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))
        configuration.judge.window = .seconds(30 * 60)
        let rollups = RollupService(store: store, keep: .seconds(86_400 * 365), now: { 0 })
        let engine = DecisionEngine(
            settings: DecisionSettings(configuration: configuration), store: store, rollups: rollups)
        let report = await engine.evaluate(at: Instant(nanosecondsSinceEpoch: end * 60_000_000_000 + 5_000_000_000))
        let verdicts = report.recommendations.filter { $0.kind == "canary" }
        #expect(verdicts.count == 100)
        let promoted = verdicts.filter { $0.action == "PROMOTE" }.count
        let others = verdicts.filter { $0.action != "PROMOTE" }.map { "\($0.service): \($0.action) \($0.reason)" }
        #expect(promoted >= 95, "\(promoted) of 100 promoted; others: \(others.joined(separator: "\n"))")
        #expect(!verdicts.contains { $0.action == "ROLLBACK" && $0.reason.contains("critical") })
        print("A/A: \(promoted) of 100 promoted")
    }
}
