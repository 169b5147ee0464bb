import Foundation
import Testing
import VigilTestSupport

/// Agent/Clients/C against the built agent: its own C test program (durable, agent down, agent killed and
/// restarted mid-stream, a refused record, a flush that times out, four sending threads), built by
/// `make c-client` before the tests run.
@Suite("C client", .timeLimit(.minutes(3)))
struct CClientTests {
    @Test("test_vigil passes against a real vigil-agent")
    func clientTests() throws {
        let program = TestCertificates.root.appendingPathComponent("Agent/Clients/C/build/test_vigil").path
        try #require(
            FileManager.default.isExecutableFile(atPath: program), "\(program) is missing: run make c-client")
        let certificates = try makeTemporaryDirectory("c-client-certs")
        try TestCertificates.make(into: certificates, arguments: ["--agent", "web-01"])
        let result = try runCommand(
            [
                program, "--agent", Daemon.binaryDirectory.appendingPathComponent("vigil-agent").path, "--certs",
                certificates,
            ],
            mergingErrors: true)
        let summary = result.text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 0, "\(result.text)")
        #expect(summary == "6 passed, 0 failed", "\(result.text)")
    }
}
