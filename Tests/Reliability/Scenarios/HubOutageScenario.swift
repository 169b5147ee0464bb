import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 4: the hub unreachable (stopped) for a long time while the agents keep accepting: the
    /// backlog grows on disk, agent memory stays flat, and everything drains once the hub is back.
    @Suite("Hub outage", .serialized)
    struct HubOutage {
        @Test("a long hub outage grows the agents' backlog on disk, not in memory, and then drains")
        func hubOutage() async throws {
            let run = try ScenarioRun("hub-outage", tag: 4)
            defer { run.stop() }
            run.startLoad()
            #expect(await run.generator.waitForProgress(1000))
            run.fleet.sampleMemory()
            #expect(run.fleet.hub?.terminate() == 0)
            run.fault("hub unreachable")
            let outage = Scale.pick(short: 15.0, soak: 600.0)
            let ackedBefore = run.generator.acknowledged.load(ordering: .relaxed)
            let agentRSSAtStart = (1...2).compactMap { run.fleet.agent($0)?.memory?.rss }
            let databaseAtStart = (1...2).map { Self.fileSize(run.fleet.agentDatabase($0)) }
            var agentRSSDuring: [Int] = []
            let outageEnd = Date().addingTimeInterval(outage)
            while Date() < outageEnd {
                try await Task.sleep(for: .seconds(Scale.pick(short: 1, soak: 10)))
                agentRSSDuring += (1...2).compactMap { run.fleet.agent($0)?.memory?.rss }
            }
            let backlog = run.generator.acknowledged.load(ordering: .relaxed) - ackedBefore
            let databaseAtEnd = (1...2).map {
                Self.fileSize(run.fleet.agentDatabase($0)) + Self.fileSize(run.fleet.agentDatabase($0) + "-wal")
            }
            run.note(
                "backlog during the outage: \(backlog) events; agent databases \(databaseAtStart) → \(databaseAtEnd) bytes"
            )
            run.note(
                "agent RSS at outage start \(agentRSSAtStart.map { $0 >> 20 }) MiB, max during \((agentRSSDuring.max() ?? 0) >> 20) MiB"
            )
            #expect(backlog > 0, "the agents must keep accepting while the hub is away")
            #expect(zip(databaseAtStart, databaseAtEnd).contains { $0 < $1 }, "the backlog grows on disk")
            // Flat: growth bounded by a constant, not by the backlog (64 MiB for any outage length).
            let growth = (agentRSSDuring.max() ?? 0) - (agentRSSAtStart.max() ?? 0)
            #expect(growth < 64 << 20, "agent RSS grew \(growth >> 20) MiB during the outage")

            let stored = try run.fleet.hubEventCount()
            let restart = Date()
            try run.fleet.startHub()
            await run.generator.stop()
            let acknowledged = Set(run.generator.ledger.outcomes.filter { $0.value == .acknowledged }.keys)
            let drained = await eventually(Scale.pick(short: 120, soak: 1800)) {
                guard let ids = try? run.fleet.hubStoredEventIDs() else { return false }
                return acknowledged.allSatisfy { ids[$0] != nil }
            }
            let seconds = Date().timeIntervalSince(restart)
            #expect(drained)
            run.setDrain(seconds: seconds, events: try run.fleet.hubEventCount() - stored)
            try await run.finish()
        }

        static func fileSize(_ path: String) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        }
    }
}
