import Foundation
import Testing
import VigilTestSupport

/// `check-config` of the built agent and hub on TLS files made by deploy/certs.sh: every problem at once,
/// each naming its key and file; an error fails the check, a certificate near its end only warns.
@Suite("check-config TLS files", .timeLimit(.minutes(3)))
struct CheckConfigTLSTests {
    static func agentConfig(
        _ directory: String, agentID: String = "web-01", ca: String, cert: String, key: String
    )
        throws -> String
    {
        let path = "\(directory)/agent-\(UUID().uuidString.prefix(8)).yaml"
        try """
        agent_id: \(agentID)
        endpoints: ["hub.internal:7443"]
        tls: { ca: \(ca), cert: \(cert), key: \(key) }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func check(_ binary: String, _ config: String) throws -> CommandResult {
        try runCommand(
            [Daemon.binaryDirectory.appendingPathComponent(binary).path, "check-config", config], mergingErrors: true)
    }

    /// The lines that are findings (they name a tls key after the file).
    static func findings(_ result: CommandResult, _ config: String) -> [String] {
        result.text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("\(config): tls.") }
    }

    @Test("the agent: good files pass; wrong id, missing CA, foreign key, other CA, expired, expiring each named")
    func agent() throws {
        let d = try makeTemporaryDirectory("tlscheck")
        try TestCertificates.make(into: "\(d)/good", arguments: ["--agent", "web-01"])
        try TestCertificates.make(into: "\(d)/other", arguments: ["--agent", "web-01"])
        try TestCertificates.make(into: "\(d)/expired", arguments: ["--agent-expired", "web-01"])
        try TestCertificates.make(into: "\(d)/soon", arguments: ["--days", "10", "--agent", "web-01"])
        let good = (ca: "\(d)/good/ca.pem", cert: "\(d)/good/agent-web-01.pem", key: "\(d)/good/agent-web-01.key")

        let fine = try Self.agentConfig(d, ca: good.ca, cert: good.cert, key: good.key)
        let passed = try Self.check("vigil-agent", fine)
        #expect(passed.status == 0, "\(passed.text)")
        #expect(Self.findings(passed, fine).isEmpty, "\(passed.text)")

        let wrongID = try Self.agentConfig(d, agentID: "web-02", ca: good.ca, cert: good.cert, key: good.key)
        let named = try Self.check("vigil-agent", wrongID)
        #expect(named.status == 1)
        #expect(
            Self.findings(named, wrongID).map { $0.contains("tls.cert") && $0.contains("not agent_id web-02") } == [
                true
            ])

        // Two problems in one file: both reported, each with its key and file.
        let twice = try Self.agentConfig(d, ca: "\(d)/nope.pem", cert: good.cert, key: "\(d)/good/hub.key")
        let both = Self.findings(try Self.check("vigil-agent", twice), twice)
        #expect(both.count == 2, "\(both)")
        #expect(both.contains { $0.contains("tls.ca: \(d)/nope.pem does not exist") })
        #expect(both.contains { $0.contains("tls.key: \(d)/good/hub.key is not the key of the certificate") })
        #expect(!both.joined().contains("PRIVATE KEY"), "key material printed")

        let foreign = try Self.agentConfig(
            d, ca: good.ca, cert: "\(d)/other/agent-web-01.pem", key: "\(d)/other/agent-web-01.key")
        // tls.ca is what this side trusts in the hub; the hub may trust another CA: a warning only.
        let unsigned = try Self.check("vigil-agent", foreign)
        #expect(unsigned.status == 0, "\(unsigned.text)")
        #expect(
            Self.findings(unsigned, foreign).contains {
                $0.contains("tls.cert: warning:") && $0.contains("is not signed by the CA in \(good.ca)")
            })

        let old = try Self.agentConfig(
            d, ca: "\(d)/expired/ca.pem", cert: "\(d)/expired/agent-web-01.pem", key: "\(d)/expired/agent-web-01.key")
        let expired = try Self.check("vigil-agent", old)
        #expect(expired.status == 1)
        #expect(Self.findings(expired, old).contains { $0.contains("tls.cert") && $0.contains("expired on") })

        let near = try Self.agentConfig(
            d, ca: "\(d)/soon/ca.pem", cert: "\(d)/soon/agent-web-01.pem", key: "\(d)/soon/agent-web-01.key")
        let soon = try Self.check("vigil-agent", near)
        #expect(soon.status == 0, "a warning does not fail the check: \(soon.text)")
        #expect(Self.findings(soon, near).contains { $0.contains("tls.cert: warning:") && $0.contains("expires in") })
    }

    @Test("the hub: good files pass; a missing certificate and an unreadable key are both named")
    func hub() throws {
        let d = try makeTemporaryDirectory("tlscheck-hub")
        try TestCertificates.make(into: d, arguments: [])
        let fine = "\(d)/hub.yaml"
        try "tls: { ca: \(d)/ca.pem, cert: \(d)/hub.pem, key: \(d)/hub.key }\n".write(
            toFile: fine, atomically: true, encoding: .utf8)
        let passed = try Self.check("vigil-hub", fine)
        #expect(passed.status == 0, "\(passed.text)")
        let broken = "\(d)/broken.yaml"
        try "not a key\n".write(toFile: "\(d)/bad.key", atomically: true, encoding: .utf8)
        try "tls: { ca: \(d)/ca.pem, cert: \(d)/missing.pem, key: \(d)/bad.key }\n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let failed = try Self.check("vigil-hub", broken)
        #expect(failed.status == 1)
        let lines = Self.findings(failed, broken)
        #expect(lines.contains { $0.contains("tls.cert: \(d)/missing.pem does not exist") }, "\(failed.text)")
        #expect(
            lines.contains { $0.contains("tls.key: \(d)/bad.key is not a readable PEM private key") }, "\(failed.text)")
    }
}
