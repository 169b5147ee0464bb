import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 6: the agent starts on a damaged database — truncated, pages overwritten, or a damaged
    /// WAL. The agent must start (moving a damaged file aside), accept and ship again, and nothing it
    /// acknowledged earlier (drained to the hub before the damage) may be lost, duplicated or invented.
    @Suite("Damaged agent database", .serialized)
    struct DamagedDatabase {
        enum Damage: String, CaseIterable {
            case truncated = "truncated database"
            case overwritten = "overwritten pages"
            case wal = "damaged WAL"
        }

        @Test("an agent started on a truncated, overwritten or WAL-damaged database recovers and loses nothing")
        func damagedDatabase() async throws {
            let run = try ScenarioRun("damaged-database", tag: 6, agents: 1)
            defer { run.stop() }
            run.startLoad()
            for round in 0..<Scale.pick(short: 3, soak: 21) {
                let damage = Damage.allCases[round % Damage.allCases.count]
                #expect(await run.generator.waitForProgress(500))
                await run.generator.pause()
                let acknowledged = Set(run.generator.ledger.outcomes.filter { $0.value == .acknowledged }.keys)
                #expect(
                    await eventually(60) {
                        guard let ids = try? run.fleet.hubStoredEventIDs() else { return false }
                        return acknowledged.allSatisfy { ids[$0] != nil }
                    }, "drained before the damage")
                // Killed while streaming: the WAL holds the latest pages, as after a crash.
                run.fleet.agent(1)?.kill9()
                try Self.apply(damage, to: run.fleet.agentDatabase(1), round: round)
                run.fault(damage.rawValue)
                try run.fleet.startAgent(1)
                run.generator.resume()
                #expect(await run.generator.waitForProgress(300), "the agent accepts again after \(damage.rawValue)")
                #expect(run.fleet.agent(1)?.isRunning == true)
            }
            try await run.finish()
        }

        static func apply(_ damage: Damage, to path: String, round: Int) throws {
            var generator = SystemRandomNumberGenerator()
            switch damage {
            case .truncated:
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try handle.truncate(atOffset: UInt64(max(100, size / 3)))
                try handle.close()
            case .overwritten:
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                // The header's page size and several pages after it.
                for offset in [16, 4096, 8192, 12288] {
                    try handle.seek(toOffset: UInt64(offset))
                    handle.write(Data((0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) }))
                }
                try handle.close()
            case .wal:
                let wal = path + "-wal"
                let size = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
                guard size > 64 else { return }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
                try handle.seek(toOffset: UInt64(32 + (size - 32) / 2))
                handle.write(Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }))
                try handle.close()
            }
        }
    }
}
