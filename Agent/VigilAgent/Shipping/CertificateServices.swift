import NIOSSL
import Synchronization
import VigilProtocol

/// The services this agent's own certificate lets it speak for (its `vigil:service:NAME` URI SANs, DESIGN §8),
/// kept current as the certificate is reloaded. Ingest refuses a record for any other service at once, so the
/// application learns it instead of the record travelling to the hub to be refused there (the hub enforces it
/// again: an agent is not trusted to police itself).
public final class CertificateServices: Sendable {
    private let grant: Mutex<ServiceGrant>

    /// Starts with `grant` (every service until a certificate is read).
    public init(_ grant: ServiceGrant = .all) {
        self.grant = Mutex(grant)
    }

    /// The grant now.
    public var current: ServiceGrant { grant.withLock { $0 } }

    /// Replaces the grant; returns whether it changed.
    @discardableResult
    public func update(_ new: ServiceGrant) -> Bool {
        grant.withLock { old in
            defer { old = new }
            return old != new
        }
    }

    /// The grant of the leaf (first) certificate in the PEM file at `path`.
    public static func read(certificateFile path: String) throws -> ServiceGrant {
        guard let leaf = try NIOSSLCertificate.fromPEMFile(path).first else { return .all }
        return grant(of: leaf)
    }

    /// The grant of `certificate`.
    public static func grant(of certificate: NIOSSLCertificate) -> ServiceGrant {
        var uris: [String] = []
        for name in certificate._subjectAlternativeNames() where name.nameType == .uri {
            uris.append(String(decoding: Array(name.contents), as: UTF8.self))
        }
        return ServiceGrant(certificateURIs: uris)
    }
}
