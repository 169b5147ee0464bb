import Foundation
import Testing
import VigilTestSupport

/// Agent/Clients/Python against the built agent: its own test program (durable, agent down, agent killed and
/// restarted mid-stream, a refused record, a flush that times out) run with python3, as `make test` does.
@Suite("Python client", .timeLimit(.minutes(3)))
struct PythonClientTests {
    @Test("test_vigil_client.py passes against a real vigil-agent")
    func clientTests() throws {
        let certificates = try makeTemporaryDirectory("python-client-certs")
        try TestCertificates.make(into: certificates, arguments: ["--agent", "web-01"])
        let script = TestCertificates.root.appendingPathComponent("Agent/Clients/Python/test_vigil_client.py").path
        let result = try runCommand(
            [
                "python3", script, "--agent", Daemon.binaryDirectory.appendingPathComponent("vigil-agent").path,
                "--certs", certificates,
            ], mergingErrors: true)
        let summary = result.text.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 0, "\(result.text)")
        #expect(summary == "5 passed, 0 failed", "\(result.text)")
    }
}
