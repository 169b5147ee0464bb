import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

extension Reliability {
    /// Scenario 10: hostile frames from an authenticated client (web-02's certificate): each gets the
    /// right `Reject` or a close, the hub's memory stays bounded (peak RSS growth over the whole run, every
    /// hostile frame included, below 2 × the 16 MiB frame limit), and the agent streaming beside it is unaffected.
    @Suite("Hostile frames", .serialized)
    struct HostileFrames {
        struct Case {
            var name: String
            var input: [UInt8]
            /// The expected `Reject` code; nil = the hub closes without one.
            var reject: Vigil_V1_Reject.Code?
            /// Also right: a Batch sent before `Welcome` arrived is refused as out of order (`protocol`).
            var orBeforeWelcome = false
            var waitForClose = true
        }

        static func cases() throws -> [Case] {
            let hello = try TLSProbe.framed(TLSProbe.hello("web-02"))
            var batch = Vigil_V1_Batch()
            batch.firstSeq = 1
            var big = Vigil_V1_Frame()
            batch.records = Array(repeating: Self.record(), count: 20_000)
            big.batch = batch
            var zeroSeq = Vigil_V1_Frame()
            batch.records = [Self.record()]
            batch.firstSeq = 0
            zeroSeq.batch = batch
            var badID = Vigil_V1_Frame()
            var short = Self.record()
            short.event.eventID = Data([1, 2, 3])
            batch.firstSeq = 1
            batch.records = [short]
            badID.batch = batch
            var early = Vigil_V1_Frame()
            batch.records = [Self.record()]
            early.batch = batch
            let manyLabels = Dictionary(uniqueKeysWithValues: (0..<100_000).map { ("k\($0)", "v") })
            // Start-group tags nested a million deep inside one frame.
            let nesting = [UInt8](repeating: 0x0B, count: 1 << 20)
            let garbage15MiB = [UInt8](repeating: 0xFF, count: 15 << 20)
            func prefixed(_ payload: [UInt8]) -> [UInt8] {
                withUnsafeBytes(of: UInt32(payload.count).bigEndian, Array.init) + payload
            }
            return [
                Case(name: "zero length", input: [0, 0, 0, 0], reject: .protocol),
                Case(name: "4 GiB length", input: [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3], reject: .tooLarge),
                // The rest never comes: the hub gives up at its Hello timeout (10 s) with a Reject.
                Case(name: "truncated", input: [0, 0, 0, 100, 1, 2, 3], reject: .protocol),
                Case(
                    name: "valid length, garbage", input: prefixed([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), reject: .protocol),
                Case(name: "Batch before Hello", input: try TLSProbe.framed(early), reject: .protocol),
                // 1.3 MB: refused by its size before any of its labels is decoded (DESIGN §2: Hello ≤ 64 KiB).
                Case(
                    name: "100,000 labels in Hello",
                    input: try TLSProbe.framed(TLSProbe.hello("web-02", labels: manyLabels)),
                    reject: .tooLarge),
                Case(
                    name: "20,000 records in a Batch", input: hello + (try TLSProbe.framed(big)), reject: .tooLarge,
                    orBeforeWelcome: true),
                Case(name: "deep nesting", input: prefixed(nesting), reject: .protocol),
                Case(name: "Batch first_seq 0", input: hello + (try TLSProbe.framed(zeroSeq)), reject: .protocol),
                Case(name: "3-byte event id", input: hello + (try TLSProbe.framed(badID)), reject: .protocol),
                Case(name: "15 MiB of garbage", input: prefixed(garbage15MiB), reject: .protocol),
            ]
        }

        static func record() -> Vigil_V1_Record {
            var event = Vigil_V1_Event()
            event.eventID = Data(repeating: 0xAB, count: 16)
            event.timeUnixNano = LoadGenerator.nowNanos()
            event.service = "probe"
            event.version = "1"
            event.name = "request"
            var record = Vigil_V1_Record()
            record.event = event
            return record
        }

        @Test("hostile frames get the right Reject or a close, memory stays bounded, others are unaffected")
        func hostileFrames() async throws {
            let run = try ScenarioRun("hostile-frames", tag: 10, agents: 1)
            defer { run.stop() }
            run.startLoad()
            #expect(await run.generator.waitForProgress(300))
            let certs = run.fleet.certificates
            let identity = TLSProbe.identity("web-02", in: certs, ca: "\(certs)/ca.pem")
            let peakBefore = run.fleet.hub?.memory?.peak ?? 0
            var peakSoFar = peakBefore
            for _ in 0..<Scale.pick(short: 1, soak: 2) {
                for probe in try Self.cases() {
                    let outcome = try await onThread {
                        try TLSProbe.run(
                            port: run.fleet.listenPort, arguments: identity, input: probe.input,
                            waitForClose: probe.waitForClose)
                    }
                    if let code = probe.reject {
                        let got = outcome.reject?.code
                        #expect(
                            got == code || (probe.orBeforeWelcome && got == .protocol),
                            "\(probe.name): got \(String(describing: outcome.reject))")
                    } else {
                        #expect(
                            outcome.reject == nil, "\(probe.name): unexpected \(String(describing: outcome.reject))")
                    }
                    #expect(run.fleet.hub?.isRunning == true, "the hub survives \(probe.name)")
                    run.fault(probe.name)
                    let peak = run.fleet.hub?.memory?.peak ?? 0
                    run.note("\(probe.name): hub peak RSS \(peakSoFar >> 20) → \(peak >> 20) MiB")
                    peakSoFar = max(peakSoFar, peak)
                }
            }
            let peakAfter = run.fleet.hub?.memory?.peak ?? 0
            let growth = peakAfter - peakBefore
            run.note("hub peak RSS \(peakBefore >> 20) → \(peakAfter >> 20) MiB (growth \(growth >> 20) MiB)")
            // Over the whole run, not per frame: memory a hostile frame left behind would add up frame by frame.
            #expect(
                growth < 2 * 16 << 20,
                "hub peak RSS grew \(growth >> 20) MiB over every hostile frame; bound is 2 × max frame = 32 MiB")
            #expect(await run.generator.waitForProgress(300))
            try await run.finish()
        }
    }
}
