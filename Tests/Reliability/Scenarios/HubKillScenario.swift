import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 2: `kill -9` of the hub and a restart on the same database, repeatedly, while agents ship.
    @Suite("Hub kill -9", .serialized)
    struct HubKill {
        @Test("a hub killed with -9 and restarted loses, duplicates and invents nothing", arguments: [true, false])
        func hubKill(retries: Bool) async throws {
            let run = try ScenarioRun(
                retries ? "hub-kill" : "hub-kill-no-retries", tag: 2,
                options: retries ? .init() : LoadGenerator.Options().withoutRetries)
            defer { run.stop() }
            run.startLoad()
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<Scale.pick(short: 4, soak: 22) {
                #expect(await run.generator.waitForProgress(500))
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...2000, using: &generator)))
                try run.fleet.restartHub()
                run.fault("hub kill -9")
            }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish()
        }
    }
}
