import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 8: SIGTERM of both daemons under load and a start on the same databases (the restart
    /// an upgrade does), repeatedly.
    @Suite("Graceful restart", .serialized)
    struct GracefulRestart {
        @Test("SIGTERM and restart of hub and agents under load lose, duplicate and invent nothing")
        func gracefulRestart() async throws {
            let run = try ScenarioRun("graceful-restart", tag: 8)
            defer { run.stop() }
            run.startLoad()
            for round in 0..<Scale.pick(short: 3, soak: 21) {
                #expect(await run.generator.waitForProgress(500))
                switch round % 3 {
                case 0:
                    #expect(run.fleet.agent(1)?.terminate() == 0, "agent exits 0 on SIGTERM")
                    try run.fleet.startAgent(1)
                    run.fault("agent SIGTERM")
                case 1:
                    #expect(run.fleet.hub?.terminate() == 0, "hub exits 0 on SIGTERM")
                    try run.fleet.startHub()
                    run.fault("hub SIGTERM")
                default:
                    // Upgrade-style: everything down, then up again on the same databases.
                    #expect(run.fleet.agent(1)?.terminate() == 0)
                    #expect(run.fleet.agent(2)?.terminate() == 0)
                    #expect(run.fleet.hub?.terminate() == 0)
                    try run.fleet.startHub()
                    try run.fleet.startAgent(1)
                    try run.fleet.startAgent(2)
                    run.fault("both SIGTERM, upgrade-style restart")
                }
            }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish()
        }
    }
}
