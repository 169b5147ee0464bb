import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// Verdicts that lack evidence, from data committed into a real SQLite store and judged by the decision
/// engine: a canary is never promoted on evidence that excludes its calls, and a pinned baseline is never
/// silently replaced.
@Suite("Verdicts without evidence", .timeLimit(.minutes(3)))
struct VerdictEvidenceTests {
    static let end = Traffic.currentMinute

    static func settings(pinned: String? = nil) -> DecisionSettings {
        var configuration = HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))
        configuration.judge.window = .seconds(30 * 60)
        if let pinned { configuration.judge.baseline = .pinned(pinned) }
        return DecisionSettings(configuration: configuration)
    }

    static var instant: Instant { Instant(nanosecondsSinceEpoch: end * 60_000_000_000 + 5_000_000_000) }

    /// 30 minutes of `version` on five hosts starting at `firstHost`: calls unless `calls` is false, and
    /// CPU and memory samples.
    static func commit(
        _ version: String, firstHost: Int, calls: Bool, service: String, to store: SQLiteEventStore
    ) async throws {
        var rng = SplitMix64(seed: UInt64(firstHost))
        let minutes = (end - 30)..<end
        for index in firstHost..<(firstHost + 5) {
            let host = DecisionHosts.names[index]
            var records =
                calls
                ? Traffic.events(
                    service: service, version: version, host: host, hostIndex: index, profile: Traffic.Profile(),
                    minutes: minutes, rng: &rng) : []
            records += Traffic.samples(metric: "cpu.utilization", value: 0.5, minutes: minutes)
            records += Traffic.samples(metric: "memory.utilization", value: 0.6, minutes: minutes)
            try await Traffic.commit(records, as: host, labels: ["service": service, "version": version], to: store)
        }
    }

    @Test("a canary that sends no calls, only CPU and memory samples, is INCONCLUSIVE, not PROMOTE")
    func canaryWithoutCallsIsInconclusive() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        try await Self.commit("1.0.0", firstHost: 0, calls: true, service: "checkout", to: store)
        try await Self.commit("2.0.0", firstHost: 5, calls: false, service: "checkout", to: store)
        let engine = DecisionEngine(settings: Self.settings(), store: store, rollups: nil)
        let report = await engine.evaluate(at: Self.instant)
        let verdict = try #require(report.recommendations.first { $0.kind == "canary" })
        #expect(verdict.version == "2.0.0")
        #expect(verdict.action == "INCONCLUSIVE", "\(verdict.reason)")
        #expect(
            verdict.reason.contains(
                "no data on the canary side for critical metrics error_rate (0 canary, 150 baseline values)"),
            "\(verdict.reason)")
    }

    @Test("a pinned baseline without data in the window makes every verdict INCONCLUSIVE, saying so")
    func pinnedBaselineWithoutData() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        try await Self.commit("1.0.0", firstHost: 0, calls: true, service: "search", to: store)
        try await Self.commit("2.0.0", firstHost: 5, calls: true, service: "search", to: store)
        let engine = DecisionEngine(settings: Self.settings(pinned: "0.9.0"), store: store, rollups: nil)
        let report = try #require(try await engine.versions(service: "search", at: Self.instant))
        #expect(report.baseline == "0.9.0")
        #expect(report.baselinePinned)
        #expect(report.versions.map(\.version).sorted() == ["1.0.0", "2.0.0"])
        for version in report.versions {
            let verdict = try #require(version.verdict, "\(version.version) has no verdict")
            #expect(verdict.decision == "INCONCLUSIVE", "\(version.version): \(verdict.reason)")
            #expect(verdict.reason == "pinned baseline 0.9.0 (judge.baseline) has no calls in the window")
            #expect(verdict.baseline == "0.9.0")
        }
    }
}
