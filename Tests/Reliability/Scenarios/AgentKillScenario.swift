import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

extension Reliability {
    /// Scenario 1: `kill -9` of an agent at random points — while it takes a client batch, commits to
    /// its buffer, ships, or deletes acked records — repeatedly, with restarts, while clients stream.
    @Suite("Agent kill -9", .serialized)
    struct AgentKill {
        /// With application retries on and off (off: only the hwm can skip a repeat; the clients send ids
        /// without times, so the agent's remembered times must hold across its restarts for retries to dedupe).
        @Test("agents killed with -9 at random points lose, duplicate and invent nothing", arguments: [true, false])
        func agentKill(retries: Bool) async throws {
            var options = LoadGenerator.Options()
            options.explicitTime = false
            let run = try ScenarioRun(
                retries ? "agent-kill" : "agent-kill-no-retries", tag: 1,
                options: retries ? options : options.withoutRetries)
            defer { run.stop() }
            run.startLoad()
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<Scale.pick(short: 5, soak: 25) {
                #expect(await run.generator.waitForProgress(200))
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &generator)))
                let victim = Int.random(in: 1...2, using: &generator)
                try run.fleet.restartAgent(victim)
                run.fault("agent kill -9")
            }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish()
        }
    }
}
