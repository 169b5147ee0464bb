import Foundation
import Testing
import VigilAnalytics
import VigilHub

/// The decision engine decides on the instant it is given and times itself only on the clock it is given.
@Suite("Decision engine clock")
struct DecisionClockTests {
    @Test("an evaluation is stamped with the instant passed in and timed on the injected clock")
    func evaluationUsesOnlyTheInjectedClock() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        let clock = StepClock(step: .milliseconds(1500))
        let engine = DecisionEngine(
            settings: DecisionSettings(configuration: HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))),
            store: store, rollups: nil, clock: clock)
        let report = await engine.evaluate(at: .seconds(1_700_000_000))
        #expect(report.evaluatedAt == "2023-11-14T22:13:20Z")
        #expect(report.evaluationSeconds == 1.5)
        #expect(clock.reads == 2)
    }
}
