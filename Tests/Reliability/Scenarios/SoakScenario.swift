import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// The soak: measure the maximum acknowledged rate of two agents, then run at half of it (30 minutes
    /// under `VIGIL_SOAK=1`) with resident memory sampled every 10 s; nothing lost, duplicated or invented.
    @Suite("Soak", .serialized)
    struct Soak {
        @Test("a long run at half the measured maximum rate keeps memory flat and every event exactly once")
        func soak() async throws {
            // The maximum: unthrottled clients for a while, on their own fleet.
            let probe = try ScenarioRun("soak-max-rate", tag: 12)
            probe.startLoad()
            #expect(await probe.generator.waitForProgress(200))
            let start = probe.generator.acknowledged.load(ordering: .relaxed)
            let window = Scale.pick(short: 5.0, soak: 60.0)
            try await Task.sleep(for: .seconds(window))
            let maximum = Double(probe.generator.acknowledged.load(ordering: .relaxed) - start) / window
            await probe.generator.stop()
            probe.stop()

            var options = LoadGenerator.Options()
            options.ratePerSecond = max(50, maximum / 2)
            let run = try ScenarioRun("soak", tag: 13, options: options)
            defer { run.stop() }
            run.note("measured maximum \(Int(maximum)) events/s; soaking at \(Int(maximum / 2)) events/s")
            run.startLoad(sampleEvery: Scale.pick(short: 1, soak: 10))
            try await Task.sleep(for: .seconds(Scale.pick(short: 15, soak: 1800)))
            run.fleet.sampleMemory()
            try await run.finish()
        }
    }
}
