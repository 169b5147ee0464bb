import Foundation

/// Certificates made at test time by `deploy/certs.sh` (never committed): one CA with the hub and
/// agents `web-01`, `web-02`; and a second, unrelated CA with its own `web-01`, for "wrong CA" tests.
struct TestCertificates: Sendable {
    /// The directory of the hub's CA.
    let directory: String
    /// The directory of the unrelated CA.
    let otherDirectory: String

    /// Made once per test process.
    static let shared: TestCertificates = {
        let base = FileManager.default.temporaryDirectory.path + "/vigil-hub-certs-\(getpid())"
        let main = base + "/main"
        let other = base + "/other"
        run(certsScript, [main, "--agent", "web-01", "--agent", "web-02"])
        run(certsScript, [other, "--agent", "web-01"])
        return TestCertificates(directory: main, otherDirectory: other)
    }()

    var ca: String { "\(directory)/ca.pem" }
    var hubCert: String { "\(directory)/hub.pem" }
    var hubKey: String { "\(directory)/hub.key" }
    func agentCert(_ id: String) -> String { "\(directory)/agent-\(id).pem" }
    func agentKey(_ id: String) -> String { "\(directory)/agent-\(id).key" }

    /// The repository's root, found from this file's path.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var certsScript: String { repositoryRoot + "/deploy/certs.sh" }

    private static func run(_ script: String, _ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try! process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            fatalError("certs.sh failed: \(text)")
        }
    }
}
