import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

/// Who gets in, against the built hub: agents (built binaries) with the wrong certificate, and
/// `openssl s_client` for the cases no agent can be configured into (no certificate, TLS 1.2 only,
/// garbage after the handshake). Each refusal must show in the hub's counters (read with the built
/// `vigilctl`), and must not disturb a well-behaved agent.
@Suite("Hub access control", .serialized)
struct HubAccessTests {
    @Test("an agent presenting another agent's certificate is rejected as unauthorized and stores nothing")
    func anotherAgentsCertificate() async throws {
        let fleet = try Fleet(name: "wrongid")
        defer { fleet.stop() }
        try fleet.startHub()
        try fleet.startAgent(1, certificateOf: "web-02")
        _ = try await onThread {
            try? IngestFeed.send(agent: 1, count: 20, socket: fleet.socket(1))
        }
        #expect(await eventually(30) { (try? fleet.hubStatus().rejects["unauthorized"]) ?? 0 >= 1 })
        #expect(try fleet.hubEventCount() == 0)
    }

    @Test("an agent whose certificate comes from another CA fails the TLS handshake")
    func certificateFromAnotherCA() async throws {
        let fleet = try Fleet(name: "otherca")
        defer { fleet.stop() }
        let other = try makeTemporaryDirectory("otherca-certs")
        defer { try? FileManager.default.removeItem(atPath: other) }
        try TestCertificates.make(into: other, arguments: ["--agent", "web-01"])
        try fleet.startHub()
        try fleet.startAgent(1, certificateDirectory: other)
        #expect(await eventually(30) { (try? fleet.hubStatus().tlsHandshakeFailures) ?? 0 >= 1 })
        #expect(try fleet.hubStatus().agentsConnected == 0)
        #expect(try fleet.hubEventCount() == 0)
    }

    @Test("a client without a certificate and a TLS 1.2-only client are refused")
    func noCertificateAndTLS12() async throws {
        let fleet = try Fleet(name: "tls")
        defer { fleet.stop() }
        try fleet.startHub()
        let before = try fleet.hubStatus().tlsHandshakeFailures
        let c = fleet.certificates
        let tls12 = try await onThread {
            try OpenSSLClient.run(
                port: fleet.listenPort,
                arguments: [
                    "-tls1_2", "-CAfile", "\(c)/ca.pem", "-cert", "\(c)/agent-web-01.pem", "-key",
                    "\(c)/agent-web-01.key",
                ])
        }
        #expect(tls12.status != 0, "a TLS 1.2 handshake must fail: \(tls12.output)")
        _ = try await onThread {
            try OpenSSLClient.run(port: fleet.listenPort, arguments: ["-tls1_3", "-CAfile", "\(c)/ca.pem"])
        }
        #expect(await eventually(10) { ((try? fleet.hubStatus().tlsHandshakeFailures) ?? 0) >= before + 2 })
        #expect(try fleet.hubStatus().agentsConnected == 0)
    }

    @Test("a garbage frame from an authenticated agent is rejected and another agent's stream is unaffected")
    func garbageFrameIsolated() async throws {
        let fleet = try Fleet(name: "garbage")
        defer { fleet.stop() }
        try fleet.startHub()
        try fleet.startAgent(1)
        let good = Task { try await onThread { try IngestFeed.send(agent: 1, count: 5000, socket: fleet.socket(1)) } }
        let c = fleet.certificates
        // A valid TLS 1.3 session with web-02's certificate, then bytes that are no Frame.
        let garbage: [UInt8] = [0, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        _ = try await onThread {
            try OpenSSLClient.run(
                port: fleet.listenPort,
                arguments: [
                    "-tls1_3", "-ign_eof", "-CAfile", "\(c)/ca.pem", "-cert", "\(c)/agent-web-02.pem", "-key",
                    "\(c)/agent-web-02.key",
                ],
                input: garbage
            )
        }
        try await good.value
        #expect(await eventually(60) { (try? fleet.hubEventCount()) == 5000 })
        let status = try fleet.hubStatus()
        #expect(status.rejects["protocol"] ?? 0 >= 1)
        #expect(try fleet.hubCheck().repeatedSeqs == 0)
    }
}

/// Runs `openssl s_client` against the hub on loopback.
enum OpenSSLClient {
    static func run(port: Int, arguments: [String], input: [UInt8] = []) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["timeout", "10", "openssl", "s_client", "-quiet", "-connect", "127.0.0.1:\(port)"] + arguments
        let stdin = Pipe()
        let output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

/// Sends events to an agent socket and waits until they are durable.
enum IngestFeed {
    static func send(agent: Int, count: Int, socket: String) throws {
        let progress = Progress()
        try PipelineExactlyOnceTests.feed(agent: agent, count: count, socket: socket, progress: progress)
    }
}
