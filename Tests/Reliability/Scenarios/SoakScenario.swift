import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// The soak: measure the maximum acknowledged rate of two agents, then run at half of it (30 minutes
    /// under `VIGIL_SOAK=1`) with resident memory sampled every 10 s; nothing lost, duplicated or invented, and
    /// every daemon's resident memory at the end within 10 % of what it was at minute 5 (warm-up done: caches
    /// full, the WAL at its working size). The short run records the same figures after 5 s without asserting
    /// them: its 15 s are all warm-up.
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
            let total = Scale.pick(short: 15, soak: 1800)
            let mark = Scale.pick(short: 5, soak: 300)
            try await Task.sleep(for: .seconds(mark))
            run.fleet.sampleMemory()
            let atMark = run.fleet.memory.mapValues(\.last)
            try await Task.sleep(for: .seconds(total - mark))
            run.fleet.sampleMemory()
            let atEnd = run.fleet.memory.mapValues(\.last)
            for (name, early) in atMark.sorted(by: { $0.key < $1.key }) {
                let late = atEnd[name] ?? 0
                run.note("\(name) RSS \(early >> 20) MiB at \(mark) s, \(late >> 20) MiB at \(total) s")
                if Scale.isSoak {
                    #expect(
                        Double(late) <= Double(early) * 1.10,
                        "\(name) grew from \(early >> 20) MiB at minute 5 to \(late >> 20) MiB at the end")
                }
            }
            try await run.finish()
        }
    }
}
