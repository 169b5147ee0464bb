import Foundation
import Testing
import VigilTestSupport

@testable import VigilAgent

@Suite("Client TLS files")
struct ClientTLSTests {
    @Test("a rotated certificate on disk is noticed and the next connection uses a rebuilt context")
    func rotatedCertificateReloads() throws {
        let source = try TestCertificates.directory()
        let directory = try makeTemporaryDirectory("tlsreload")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["ca.pem", "agent-web-01.pem", "agent-web-01.key"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(name)", toPath: "\(directory)/\(name)")
        }
        let tls = ClientTLS(
            files: .init(
                ca: "\(directory)/ca.pem", cert: "\(directory)/agent-web-01.pem", key: "\(directory)/agent-web-01.key"))
        let first = try tls.context()
        #expect(!tls.filesChanged)
        #expect(try tls.context() === first, "unchanged files reuse the context")
        // Rotate to web-02's certificate and key (different bytes and size).
        for (from, to) in [("agent-web-02.pem", "agent-web-01.pem"), ("agent-web-02.key", "agent-web-01.key")] {
            // Written anew (not copied), so the modification time is now, as a rotation would leave it.
            Thread.sleep(forTimeInterval: 0.01)
            try Data(contentsOf: URL(fileURLWithPath: "\(source)/\(from)")).write(
                to: URL(fileURLWithPath: "\(directory)/\(to)"))
        }
        #expect(tls.filesChanged)
        let second = try tls.context()
        #expect(second !== first)
        #expect(!tls.filesChanged)
    }
}
