import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 3: network faults between agents and hub through a ``FaultProxy`` on loopback: drop
    /// the connections, blackhole (minutes in the soak), trickle, delay, and cut mid-frame.
    @Suite("Network faults", .serialized)
    struct NetworkFaults {
        @Test(
            "dropped, blackholed, trickled, delayed and cut connections lose, duplicate and invent nothing",
            arguments: [true, false])
        func networkFaults(retries: Bool) async throws {
            let hubPort = try Fleet.freePort()
            let proxies = [try FaultProxy(targetPort: hubPort), try FaultProxy(targetPort: hubPort)]
            defer { proxies.forEach { $0.close() } }
            let run = try ScenarioRun(
                retries ? "network-faults" : "network-faults-no-retries", tag: 3, hubListenPort: hubPort,
                options: retries ? .init() : LoadGenerator.Options().withoutRetries
            ) { fleet, n in
                try fleet.configureAgent(n, hubPort: proxies[n - 1].port)
            }
            defer { run.stop() }
            run.startLoad()
            let rounds = Scale.pick(short: 1, soak: 5)
            let hold = Scale.pick(short: 3, soak: 10)
            for round in 0..<rounds {
                #expect(await run.generator.waitForProgress(300))
                proxies.forEach { $0.dropAll() }
                run.fault("drop")

                #expect(await run.generator.waitForProgress(300))
                proxies.forEach { $0.set(.blackhole) }
                // One blackhole of two minutes in the soak; the agents keep accepting meanwhile.
                try await Task.sleep(for: .seconds(round == 0 && Scale.isSoak ? 120 : hold))
                proxies.forEach { $0.set(.pass) }
                run.fault("blackhole")

                #expect(await run.generator.waitForProgress(300))
                proxies.forEach { $0.set(.trickle(bytesPerSecond: 2048)) }
                try await Task.sleep(for: .seconds(hold))
                proxies.forEach { $0.set(.pass) }
                run.fault("trickle 2 KiB/s")

                proxies.forEach { $0.set(.delay(milliseconds: 250)) }
                try await Task.sleep(for: .seconds(hold))
                proxies.forEach { $0.set(.pass) }
                run.fault("delay 250 ms")

                #expect(await run.generator.waitForProgress(300))
                proxies.forEach { $0.cutNextChunk() }
                #expect(await eventually(30) { proxies.allSatisfy { $0.cuts.load(ordering: .relaxed) > round } })
                run.fault("cut mid-frame")
            }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish()
            run.note("proxy connections accepted: \(proxies.map { $0.accepted.load(ordering: .relaxed) })")
        }
    }
}
