import Foundation
import NIOSSL
import Synchronization

/// The hub's mTLS server context: TLS 1.3 only, a client certificate required and verified against
/// the configured CA (the chain is checked; host names are not, since agents are identified by
/// their `Hello` against the certificate's names).
///
/// Invariants: ``context`` always returns a complete context; ``reloadIfChanged()`` builds a new one
/// only when the CA, certificate or key file changed (a ``FileStamp``) and all three load,
/// so a half-written rotation keeps the previous context in use. Open connections keep the context
/// they started with; new connections get the newest.
public final class ServerTLS: Sendable {
    /// The PEM files.
    public let files: HubConfiguration.TLSFiles
    private let current: Mutex<(stamp: FileStamp, context: NIOSSLContext)>

    /// Loads the files; throws when they cannot be read or do not form a valid server identity.
    public init(files: HubConfiguration.TLSFiles) throws {
        self.files = files
        let stamp = Self.stamp(files)
        current = Mutex((stamp, try Self.makeContext(files)))
    }

    /// The context new connections use.
    public var context: NIOSSLContext { current.withLock { $0.context } }

    /// Rebuilds the context if a file changed on disk. Returns true when it was replaced; throws (and
    /// keeps the old one) when the changed files do not load.
    @discardableResult
    public func reloadIfChanged() throws -> Bool {
        let stamp = Self.stamp(files)
        guard stamp != current.withLock({ $0.stamp }) else { return false }
        let context = try Self.makeContext(files)
        current.withLock { $0 = (stamp, context) }
        return true
    }

    static func makeContext(_ files: HubConfiguration.TLSFiles) throws -> NIOSSLContext {
        var configuration = try serverConfiguration(cert: files.cert, key: files.key)
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.ca))
        return try NIOSSLContext(configuration: configuration)
    }

    /// A server configuration presenting the certificate chain in `cert` with the private key in `key` (PEM);
    /// the caller sets versions and client verification. The admin address's HTTPS uses it too.
    static func serverConfiguration(cert: String, key: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
    }

    static func stamp(_ files: HubConfiguration.TLSFiles) -> FileStamp {
        FileStamp([files.ca, files.cert, files.key])
    }
}
