import Foundation
import Testing
import VigilTestSupport

extension Reliability {
    /// Scenario 9: who gets in. Against the built hub: no certificate, expired, not yet valid, another
    /// CA, a valid certificate with another agent's id in Hello, TLS 1.2 only, and plain TCP. Each is
    /// refused, counted by reason in `/v1/status`, and a well-behaved agent streams on meanwhile.
    @Suite("mTLS matrix", .serialized)
    struct MTLSMatrix {
        @Test("no, expired, future, foreign-CA or mismatched certificates, TLS 1.2 and plain TCP are all refused")
        func matrix() async throws {
            let run = try ScenarioRun("mtls-matrix", tag: 9, agents: 1)
            defer { run.stop() }
            let certs = run.fleet.certificates
            let ca = "\(certs)/ca.pem"
            let odd = try makeTemporaryDirectory("odd-certs")
            let foreign = try makeTemporaryDirectory("foreign-certs")
            defer {
                try? FileManager.default.removeItem(atPath: odd)
                try? FileManager.default.removeItem(atPath: foreign)
            }
            // Same CA as the hub (certs.sh reuses an existing ca.pem): copy it in first.
            for file in ["ca.pem", "ca.key"] {
                try FileManager.default.copyItem(atPath: "\(certs)/\(file)", toPath: "\(odd)/\(file)")
            }
            try TestCertificates.make(into: odd, arguments: ["--agent-expired", "old-01", "--agent-future", "new-01"])
            try TestCertificates.make(into: foreign, arguments: ["--agent", "web-01"])
            run.startLoad()
            let port = run.fleet.listenPort
            let rounds = Scale.pick(short: 1, soak: 3)
            for _ in 0..<rounds {
                let before = try run.fleet.hubStatus()
                let cases: [(name: String, arguments: [String], reason: String)] = [
                    ("no certificate", ["-tls1_3", "-CAfile", ca], "no_certificate"),
                    ("expired", TLSProbe.identity("old-01", in: odd, ca: ca), "certificate_expired"),
                    ("not yet valid", TLSProbe.identity("new-01", in: odd, ca: ca), "certificate_not_yet_valid"),
                    ("another CA", TLSProbe.identity("web-01", in: foreign, ca: ca), "certificate_untrusted"),
                    (
                        "TLS 1.2 only",
                        [
                            "-tls1_2", "-CAfile", ca, "-cert", "\(certs)/agent-web-01.pem", "-key",
                            "\(certs)/agent-web-01.key",
                        ], "protocol_version"
                    ),
                ]
                for (name, arguments, reason) in cases {
                    let counted = try run.fleet.hubStatus().tlsHandshakeFailuresByReason?[reason] ?? 0
                    let outcome = try await onThread {
                        try TLSProbe.run(port: port, arguments: arguments, input: [])
                    }
                    #expect(outcome.reject == nil && outcome.received.isEmpty, "\(name): the hub sent data")
                    #expect(
                        await eventually(20) {
                            ((try? run.fleet.hubStatus().tlsHandshakeFailuresByReason?[reason]) ?? 0) == counted + 1
                        }, "\(name): counted once as \(reason)")
                    run.fault(name)
                }
                // A valid certificate of web-02 with web-01's id in Hello.
                let impostor = try await onThread {
                    try TLSProbe.run(
                        port: port, arguments: TLSProbe.identity("web-02", in: certs, ca: ca),
                        input: try TLSProbe.framed(TLSProbe.hello("web-01")))
                }
                #expect(
                    impostor.reject?.code == .unauthorized, "Hello with another agent's id: \(impostor.diagnostics)")
                run.fault("another agent id in Hello")
                // Plain TCP: a Hello without TLS.
                let plainCounted = try run.fleet.hubStatus().tlsHandshakeFailuresByReason?["not_tls"] ?? 0
                try await onThread {
                    try Self.plainTCP(port: port, bytes: try TLSProbe.framed(TLSProbe.hello("web-01")))
                }
                #expect(
                    await eventually(20) {
                        ((try? run.fleet.hubStatus().tlsHandshakeFailuresByReason?["not_tls"]) ?? 0) == plainCounted + 1
                    }, "plain TCP: counted once as not_tls")
                run.fault("plain TCP")

                let expectedFailures = UInt64(cases.count + 1)
                #expect(
                    await eventually(20) {
                        ((try? run.fleet.hubStatus().tlsHandshakeFailures) ?? 0) >= before.tlsHandshakeFailures
                            + expectedFailures
                    }, "every refused handshake is counted")
                let after = try run.fleet.hubStatus()
                #expect((after.rejects["unauthorized"] ?? 0) == (before.rejects["unauthorized"] ?? 0) + 1)
                #expect(after.agentsConnected == 1, "only the real agent is connected")
            }
            #expect(await run.generator.waitForProgress(300))
            try await run.finish()
        }

        /// Connects without TLS, writes `bytes`, and waits for the hub to close.
        static func plainTCP(port: Int, bytes: [UInt8]) throws {
            let handle = try FileHandleSocket(port: port)
            try handle.write(bytes)
            handle.readUntilClosed(seconds: 15)
        }
    }
}
