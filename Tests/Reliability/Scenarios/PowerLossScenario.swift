import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

extension Reliability {
    /// Scenario 13: power cuts. The hub, or an agent, runs under `libpowercut` (Tests/Reliability/PowerCut):
    /// at random points while clients stream, every byte it wrote but did not fsync is dropped and it dies,
    /// then it restarts on what was synced. At `durability: full` an acknowledgement follows an fsync, so
    /// nothing acknowledged may be lost. At `normal` a power loss may lose the last commits (DESIGN §7): that
    /// variant runs only with `VIGIL_POWERCUT_NORMAL=1` or in the soak and records what was lost; it must
    /// still duplicate and invent nothing.
    @Suite("Power loss", .serialized)
    struct PowerLoss {
        static let normalEnabled = Scale.isSoak || ProcessInfo.processInfo.environment["VIGIL_POWERCUT_NORMAL"] == "1"
        static var cuts: Int { Scale.pick(short: 3, soak: 20) }

        @Test("a hub at store.durability full whose power is cut loses, duplicates and invents nothing")
        func hubFull() async throws {
            try await Self.cutHub(durability: "full", tag: 14)
        }

        @Test(
            "a hub at store.durability normal whose power is cut duplicates and invents nothing (loss recorded)",
            .enabled(if: normalEnabled))
        func hubNormal() async throws {
            try await Self.cutHub(durability: "normal", tag: 15)
        }

        @Test("agents at buffer.durability full whose power is cut lose nothing their clients were told is durable")
        func agentFull() async throws {
            try await Self.cutAgents(durability: "full", tag: 16)
        }

        @Test(
            "agents at buffer.durability normal whose power is cut duplicate and invent nothing (loss recorded)",
            .enabled(if: normalEnabled))
        func agentNormal() async throws {
            try await Self.cutAgents(durability: "normal", tag: 17)
        }

        /// Three agents stream to a hub whose power is cut `cuts` times.
        static func cutHub(durability: String, tag: UInt8) async throws {
            try PowerCut.requireBuilt()
            let full = durability == "full"
            let run = try ScenarioRun("power-loss-hub-\(durability)", tag: tag, agents: 3, startAgents: false)
            defer { run.stop() }
            // The hub ScenarioRun started has no injector: a hub under it, with a store in a directory of its
            // own, takes over before any agent connects.
            run.fleet.hub?.terminate()
            try run.fleet.configureHubForPowerCut(durability: durability)
            try run.fleet.startHubUnderPowerCut()
            for n in 1...3 { try run.fleet.startAgent(n) }
            run.startLoad()
            var generator = SystemRandomNumberGenerator()
            var dropped = 0
            for cut in 1...cuts {
                #expect(await run.generator.waitForProgress(500))
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...2000, using: &generator)))
                let outcome = try run.fleet.powerCutHub()
                run.fault("hub power cut")
                run.note("cut \(cut): \(outcome)")
                dropped += max(0, outcome.droppedBytes) + max(0, outcome.restoredBytes)
                usleep(300_000)
                try run.fleet.startHubUnderPowerCut()
            }
            try Self.expectIntercepted(run, directory: run.fleet.hubPowerCutDirectory, file: "hub.db-wal", synced: full)
            // At normal the WAL is fsynced only at checkpoints: every cut amid streaming undoes commits.
            if !full { #expect(dropped > 0, "the cuts undid no byte: the injector is not holding the hub's writes") }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish(drainTimeout: full ? 120 : 30, allowLoss: !full)
        }

        /// The injector's log shows it tracked `file` and (if `synced`: at full, every commit syncs) saw a sync
        /// empty its journal of held writes: the daemon's writes and syncs go through the interposed calls.
        static func expectIntercepted(_ run: ScenarioRun, directory: String, file: String, synced: Bool) throws {
            let log = try PowerCut.log(directory: directory)
            let syncs = log.split(separator: "\n").filter { $0.contains("/\(file) writes=") }.count
            run.note("\(file) below \((directory as NSString).lastPathComponent): \(syncs) syncs of held writes")
            #expect(log.contains("/\(file) size="), "the injector never tracked \(file):\n\(log.suffix(2000))")
            #expect(syncs > 0 || !synced, "no sync of \(file) emptied an undo journal:\n\(log.suffix(2000))")
        }

        /// Two agents under the injector stream to a hub; a random one's power is cut `cuts` times. Every other
        /// cut comes while the hub is away, so what the clients were told is durable lives only in the agent's
        /// buffer (with the hub up, most of it is already stored there and a lost commit could go unseen).
        static func cutAgents(durability: String, tag: UInt8) async throws {
            try PowerCut.requireBuilt()
            let full = durability == "full"
            let run = try ScenarioRun("power-loss-agent-\(durability)", tag: tag, startAgents: false) { fleet, n in
                try fleet.configureAgentForPowerCut(n, durability: durability)
            }
            defer { run.stop() }
            for n in 1...2 { try run.fleet.startAgentUnderPowerCut(n) }
            run.startLoad()
            var generator = SystemRandomNumberGenerator()
            var dropped = 0
            for cut in 1...cuts {
                let hubAway = cut % 2 == 1
                if hubAway { run.fleet.hub?.terminate() }
                #expect(await run.generator.waitForProgress(200))
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &generator)))
                let victim = Int.random(in: 1...2, using: &generator)
                let outcome = try run.fleet.powerCutAgent(victim)
                run.fault(hubAway ? "agent power cut, hub away" : "agent power cut")
                run.note("cut \(cut) (agent \(victim)\(hubAway ? ", hub away" : "")): \(outcome)")
                dropped += max(0, outcome.droppedBytes) + max(0, outcome.restoredBytes)
                usleep(200_000)
                try run.fleet.startAgentUnderPowerCut(victim)
                if hubAway { try run.fleet.startHub() }
            }
            for n in 1...2 {
                try Self.expectIntercepted(
                    run, directory: run.fleet.agentPowerCutDirectory(n), file: "agent.db-wal", synced: full)
            }
            if !full { #expect(dropped > 0, "the cuts undid no byte: the injector is not holding the agents' writes") }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish(drainTimeout: full ? 120 : 30, allowLoss: !full)
        }
    }
}
