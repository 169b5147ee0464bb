import Foundation
import NIOSSL
import Synchronization
import VigilConfiguration

/// The agent's mTLS client context, rebuilt whenever the CA, certificate or key file changes on disk
/// (compared by modification time and size), so rotated certificates apply without a restart.
public final class ClientTLS: Sendable {
    /// Paths of the PEM files: the configuration's `tls`.
    public typealias Files = TLSFiles

    struct Stamp: Hashable, Sendable {
        var modified: [Date?]
        var sizes: [Int?]
    }

    /// The files read.
    public let files: Files
    /// What the certificate lets the agent speak for, updated whenever the context is rebuilt.
    public let services = CertificateServices()
    private let cached = Mutex<(Stamp, NIOSSLContext)?>(nil)

    /// Creates a loader; nothing is read until ``context()``.
    public init(files: Files) {
        self.files = files
    }

    /// Whether a file changed since the context in use was built.
    public var filesChanged: Bool {
        guard let stamp = cached.withLock({ $0?.0 }) else { return false }
        return stamp != currentStamp()
    }

    /// The current context, rebuilt if a file changed. TLS 1.3 only; the hub's certificate must chain to
    /// the CA and match the endpoint's name or IP.
    public func context() throws -> NIOSSLContext {
        let stamp = currentStamp()
        if let (cachedStamp, context) = cached.withLock({ $0 }), cachedStamp == stamp { return context }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.certificateVerification = .fullVerification
        configuration.trustRoots = .file(files.ca)
        let chain = try NIOSSLCertificate.fromPEMFile(files.cert)
        configuration.certificateChain = chain.map { .certificate($0) }
        if let leaf = chain.first { services.update(CertificateServices.grant(of: leaf)) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))
        let context = try NIOSSLContext(configuration: configuration)
        cached.withLock { $0 = (stamp, context) }
        return context
    }

    private func currentStamp() -> Stamp {
        let attributes = [files.ca, files.cert, files.key].map { try? FileManager.default.attributesOfItem(atPath: $0) }
        return Stamp(
            modified: attributes.map { $0?[.modificationDate] as? Date },
            sizes: attributes.map { ($0?[.size] as? NSNumber)?.intValue }
        )
    }
}
