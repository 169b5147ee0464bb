import Foundation
import Logging
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// The decision engine's state across a restart: a hub built on a real SQLite file evaluates, is released,
/// and a new hub is built on the same database (its services are not started; the tests call `evaluate`
/// with instants of their own).
@Suite("Decision state across a restart", .timeLimit(.minutes(3)))
struct DecisionStateTests {
    @Test(
        "a hub reopened on its database keeps an open breaker open and scales down only 300 s after it first saw the service"
    )
    func restartKeepsBreakersAndAutoscalerHistory() async throws {
        let directory = TemporaryDirectory()
        var configuration = TestHub.configuration(in: directory)
        // Long enough that the breaker is still open at every evaluation below, which all come after its
        // calls have left the 60 s window: a breaker rebuilt from the stored calls would be closed.
        configuration.breaker.openWait = .seconds(600)
        var logger = Logger(label: "vigil.hub.test")
        logger.logLevel = .critical
        let end = Traffic.currentMinute
        let start = Instant(nanosecondsSinceEpoch: end * 60_000_000_000 + 5_000_000_000)
        let openedSince: String
        do {
            let hub = try await HubRuntime.make(configuration: configuration, logger: logger)
            let failing = (0..<12).map {
                Records.event(
                    $0, time: start.nanosecondsSinceEpoch - 10_000_000_000 + Int64($0) * 100_000_000,
                    service: "payments", version: "3.1.0", outcome: .error)
            }
            try await Traffic.commit(failing, as: "h01", labels: [:], to: hub.store)
            // Four hosts idle for the whole test: CPU 0.2 and an empty queue propose 2 replicas.
            let minutes = (end - 3)..<(end + 7)
            for host in ["r1", "r2", "r3", "r4"] {
                try await Traffic.commit(
                    Traffic.samples(metric: "cpu.utilization", value: 0.2, minutes: minutes)
                        + Traffic.samples(metric: "queue.depth", value: 0, minutes: minutes),
                    as: host, labels: ["service": "render", "version": "1.0.0"], to: hub.store)
            }
            let first = await hub.decisions.evaluate(at: start)
            let breaker = try #require(first.recommendations.first { $0.kind == "breaker" && $0.version == "3.1.0" })
            #expect(breaker.action == "OPEN")
            openedSince = try #require(breaker.since)
            let scale = try #require(first.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
            #expect(scale.action == "KEEP", "\(scale.reason)")
            #expect(scale.desiredReplicas == 4)
            #expect(first.stateSaveFailures == 0)
        }

        let hub = try await HubRuntime.make(configuration: configuration, logger: logger)
        let second = await hub.decisions.evaluate(at: start + .seconds(90))
        let breaker = try #require(
            second.recommendations.first { $0.kind == "breaker" && $0.version == "3.1.0" },
            "the open breaker was lost in the restart")
        #expect(breaker.action == "OPEN")
        #expect(breaker.since == openedSince)
        #expect(second.recommendations.contains { $0.kind == "breaker" && $0.host == "h01" && $0.action == "OPEN" })
        let held = try #require(second.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
        #expect(held.action == "KEEP", "\(held.reason)")
        #expect(held.desiredReplicas == 4)
        // 301 s after the service was first seen (before the restart), the scale-down is allowed.
        let third = await hub.decisions.evaluate(at: start + .seconds(301))
        let down = try #require(third.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
        #expect(down.action == "SCALE_DOWN", "\(down.reason)")
        #expect(down.desiredReplicas == 2)
        #expect(third.recommendations.contains { $0.kind == "breaker" && $0.version == "3.1.0" })
    }

    @Test("a hub that sees a service for the first time does not scale it down within 300 s")
    func freshHubDoesNotScaleDownEarly() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        let end = Traffic.currentMinute
        let start = Instant(nanosecondsSinceEpoch: end * 60_000_000_000 + 5_000_000_000)
        let minutes = (end - 3)..<(end + 7)
        for host in ["r1", "r2", "r3", "r4"] {
            try await Traffic.commit(
                Traffic.samples(metric: "cpu.utilization", value: 0.2, minutes: minutes)
                    + Traffic.samples(metric: "queue.depth", value: 0, minutes: minutes),
                as: host, labels: ["service": "render", "version": "1.0.0"], to: store)
        }
        let engine = DecisionEngine(
            settings: DecisionSettings(configuration: HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))),
            store: store, rollups: nil)
        for seconds in [0, 10, 50, 120, 300] {
            let report = await engine.evaluate(at: start + .seconds(seconds))
            let scale = try #require(report.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
            #expect(scale.action == "KEEP", "at \(seconds) s: \(scale.reason)")
        }
        let report = await engine.evaluate(at: start + .seconds(310))
        let scale = try #require(report.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
        #expect(scale.action == "SCALE_DOWN", "\(scale.reason)")
    }
}
