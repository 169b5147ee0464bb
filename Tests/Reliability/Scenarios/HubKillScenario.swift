import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 2: `kill -9` of the hub and a restart on the same database, repeatedly, while agents ship, with
    /// an authorization policy refusing some of agent 1's records.
    @Suite("Hub kill -9", .serialized)
    struct HubKill {
        @Test("a hub killed with -9 and restarted loses, duplicates and invents nothing", arguments: [true, false])
        func hubKill(retries: Bool) async throws {
            // Agent 1 may speak only for its own service; one in ten of its events names another, which the hub
            // refuses and acknowledges through its batch, before and after each kill (issue #20).
            var options = retries ? LoadGenerator.Options() : LoadGenerator.Options().withoutRetries
            options.unauthorized = .init(agents: [1], every: 10, service: "payments")
            let run = try ScenarioRun(
                retries ? "hub-kill" : "hub-kill-no-retries", tag: 2,
                hubSettings: "authorization: { default: allow, agents: [{ match: web-01, services: [checkout] }] }",
                options: options)
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
