import Foundation
import VigilTestSupport

/// Certificates made at test time by `deploy/certs.sh` (never committed): one CA with the hub and
/// agents `web-01`, `web-02`; and a second, unrelated CA with its own `web-01`, for "wrong CA" tests.
struct TestCertificates: Sendable {
    /// The directory of the hub's CA.
    let directory: String
    /// The directory of the unrelated CA.
    let otherDirectory: String

    /// Made once per test process.
    static let shared: TestCertificates = {
        // The main CA and agents come from the package's shared test certificates (made once per
        // test process by deploy/certs.sh); the second CA is made here for wrong-CA tests.
        do {
            let main = try VigilTestSupport.TestCertificates.directory()
            let other = FileManager.default.temporaryDirectory.path + "/vigil-hub-certs-\(getpid())/other"
            try VigilTestSupport.TestCertificates.make(into: other, arguments: ["--agent", "web-01"])
            return TestCertificates(directory: main, otherDirectory: other)
        } catch {
            fatalError("certs.sh failed: \(error)")
        }
    }()

    var ca: String { "\(directory)/ca.pem" }
    var hubCert: String { "\(directory)/hub.pem" }
    var hubKey: String { "\(directory)/hub.key" }
    func agentCert(_ id: String) -> String { "\(directory)/agent-\(id).pem" }
    func agentKey(_ id: String) -> String { "\(directory)/agent-\(id).key" }
}
