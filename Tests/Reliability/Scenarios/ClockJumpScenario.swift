import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 7: the agent's wall clock jumps by ±1 h (libfaketime, re-reading its offset from a file;
    /// the monotonic clock is left alone). Event times move; ordering and dedupe, which use seqs, must not.
    @Suite("Clock jumps", .serialized)
    struct ClockJumps {
        static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

        @Test("agent clock jumps of ±1 h move timestamps but lose, duplicate and reorder nothing")
        func clockJumps() async throws {
            #expect(FileManager.default.fileExists(atPath: Self.library), "libfaketime missing: make deps installs it")
            var options = LoadGenerator.Options()
            options.explicitTime = false
            let offsetFile = try makeTemporaryDirectory("clock") + "/offset"
            try "+0".write(toFile: offsetFile, atomically: true, encoding: .utf8)
            let environment = [
                "LD_PRELOAD": Self.library, "FAKETIME_TIMESTAMP_FILE": offsetFile, "FAKETIME_CACHE_DURATION": "1",
                // libfaketime 0.9.10's names: keep the monotonic clock (timers, backoff) and file times real.
                "FAKETIME_DONT_FAKE_MONOTONIC": "1", "NO_FAKE_STAT": "1",
            ]
            let run = try ScenarioRun("clock-jumps", tag: 7, options: options, startAgents: false)
            defer { run.stop() }
            for n in 1...2 { try run.fleet.startAgent(n, environment: environment) }
            run.startLoad()
            let offsets = ["+1h", "-1h", "+0"]
            for jump in 0..<Scale.pick(short: 3, soak: 21) {
                #expect(await run.generator.waitForProgress(500))
                try offsets[jump % offsets.count].write(toFile: offsetFile, atomically: true, encoding: .utf8)
                run.fault("clock \(offsets[jump % offsets.count])")
                try await Task.sleep(for: .seconds(2))
            }
            #expect(await run.generator.waitForProgress(500))
            try await run.finish()
            let check = try run.fleet.hubCheck(prefix: 0xE6)
            #expect(check.repeatedSeqs == 0, "each (agent, seq) stored once")
            #expect(check.gaps == 0, "no seq gap")
            let span = try run.fleet.hubEventTimeSpanSeconds()
            run.note("stored event times span \(Int(span)) s")
            #expect(span > 5400, "the jumps must show in the stored times (span \(Int(span)) s)")
        }
    }
}
