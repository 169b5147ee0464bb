import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// How the decision engine feeds stored calls to the circuit breakers, on a real SQLite store.
@Suite("Breaker feed")
struct BreakerFeedTests {
    @Test("more calls than one evaluation reads: the oldest are skipped and counted, the newest are judged")
    func skipsTheOldestWhenBehind() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        var settings = DecisionSettings(configuration: HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-")))
        settings.maxCallsPerEvaluation = 100
        let engine = DecisionEngine(settings: settings, store: store, rollups: nil)
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        func calls(_ range: Range<Int>, failing: (Int) -> Bool) -> [Vigil_V1_Record] {
            range.map {
                Records.event(
                    $0, time: now - 30_000_000_000 + Int64($0) * 1_000_000, outcome: failing($0) ? .error : .ok)
            }
        }
        try await Traffic.commit(calls(0..<50) { _ in false }, as: "h01", labels: [:], to: store)
        let first = await engine.evaluate(at: Instant(nanosecondsSinceEpoch: now))
        #expect(first.breakerCallsSkipped == 0)
        #expect(!first.recommendations.contains { $0.kind == "breaker" })
        // 250 more from h02: 150 that succeed, then 100 that fail. Only the newest 100 are read.
        try await Traffic.commit(calls(50..<300) { $0 >= 200 }, as: "h02", labels: [:], to: store)
        let second = await engine.evaluate(at: Instant(nanosecondsSinceEpoch: now + 1_000_000_000))
        #expect(second.breakerCallsSkipped == 150)
        let open = try #require(second.recommendations.first { $0.kind == "breaker" && $0.host == "h02" })
        #expect(open.action == "OPEN")
        // Caught up again: nothing more is skipped.
        try await Traffic.commit(calls(300..<330) { _ in false }, as: "h03", labels: [:], to: store)
        let third = await engine.evaluate(at: Instant(nanosecondsSinceEpoch: now + 2_000_000_000))
        #expect(third.breakerCallsSkipped == 150)
    }
}
