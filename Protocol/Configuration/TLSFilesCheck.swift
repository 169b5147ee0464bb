import Foundation
import SwiftASN1
import X509

/// What `check-config` finds in a TLS file set (`tls.ca`, `tls.cert`, `tls.key`) without starting: every
/// problem at once, each naming its key and file, so an operator fixes them in one pass rather than one
/// failed start at a time.
///
/// Invariants:
/// - **Only what the handshake would surely refuse is an error**: a file that does not read or parse, a key
///   that is not the certificate's, a certificate outside its validity, CAs none of which is valid, and
///   (with an `identity`) a certificate that does not name the agent (CN or a DNS name), which the hub
///   refuses. A certificate the CA in `tls.ca` did not sign is a warning (the peer may trust another CA),
///   as are one expired CA of several and fewer than ``warningDays`` days left.
/// - **Key material is never printed**: findings name files and certificate names, not contents.
public enum TLSFilesCheck {
    /// Fewer days than this left on a certificate is worth a warning.
    public static let warningDays = 30

    /// One problem.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// Whether it stops the daemon from working.
        public enum Severity: Sendable, Hashable { case error, warning }

        public var severity: Severity
        /// The key it is about, e.g. `tls.cert`.
        public var keyPath: String
        public var message: String

        public var description: String {
            severity == .warning ? "\(keyPath): warning: \(message)" : "\(keyPath): \(message)"
        }
    }

    /// Checks the files under `prefix` (`tls`). `identity`, when given, must be the leaf's CN or one of its DNS
    /// names (the agent's `agent_id`).
    public static func check(
        prefix: String = "tls", ca: String, cert: String, key: String, identity: String? = nil, now: Date = Date()
    ) -> [Finding] {
        var findings: [Finding] = []
        func error(_ key: String, _ message: String) {
            findings.append(Finding(severity: .error, keyPath: "\(prefix).\(key)", message: message))
        }
        let authorities = certificates(ca, key: "ca", error: error)
        let chain = certificates(cert, key: "cert", error: error)
        let privateKey = privateKey(key, error: error)
        // The CAs' validity: a bundle mid-rotation may hold an expired one beside the current one, so an
        // invalid CA is an error only when none is valid.
        let caFindings = authorities.map { validity(of: $0, keyPath: "\(prefix).ca", file: ca, now: now) }
        let noneValid = !caFindings.isEmpty && caFindings.allSatisfy { $0.contains { $0.severity == .error } }
        for var finding in caFindings.joined() {
            if !noneValid { finding.severity = .warning }
            findings.append(finding)
        }
        guard let leaf = chain.first else { return findings }
        findings += validity(of: leaf, keyPath: "\(prefix).cert", file: cert, now: now)
        if let privateKey, privateKey.publicKey != leaf.publicKey {
            error("key", "\(key) is not the key of the certificate in \(cert) (\(names(leaf)))")
        }
        // Signed by the CA directly, or through the intermediates that follow the leaf in its file. `tls.ca` is
        // what this side trusts in its peer; the peer checks this certificate against its own CA, so with
        // separate CAs for agents and hubs this is expected: a warning, not an error.
        if !authorities.isEmpty, !chains(leaf, through: Array(chain.dropFirst()), to: authorities) {
            findings.append(
                Finding(
                    severity: .warning, keyPath: "\(prefix).cert",
                    message: "\(cert) (\(names(leaf)), issued by \(leaf.issuer)) is not signed by the CA in \(ca)"
                        + " (\(authorities.map { "\($0.subject)" }.joined(separator: "; "))); unless the peer"
                        + " trusts another CA that signed it, the handshake will fail"))
        }
        if let identity {
            let (common, dns) = identities(leaf)
            if !common.contains(identity) && !dns.contains(identity) {
                error(
                    "cert",
                    "\(cert) names \(names(leaf)), not agent_id \(identity): the hub refuses an agent whose"
                        + " certificate does not carry its id as CN or a DNS name")
            }
        }
        return findings
    }

    /// The PEM certificates in `path`, in order; errors name the key and the file.
    static func certificates(_ path: String, key: String, error: (String, String) -> Void) -> [Certificate] {
        guard let text = read(path, key: key, error: error) else { return [] }
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
            if documents.isEmpty {
                error(key, "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
                return []
            }
            return try documents.map { try Certificate(derEncoded: $0.derBytes) }
        } catch let failure {
            error(key, "\(path) is not a readable PEM certificate: \(failure)")
            return []
        }
    }

    static func privateKey(_ path: String, error: (String, String) -> Void) -> Certificate.PrivateKey? {
        guard let text = read(path, key: "key", error: error) else { return nil }
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch let failure {
            // The parser's reason, not the file's text: it is a secret.
            error("key", "\(path) is not a readable PEM private key (RSA, EC P-256/384/521 or PKCS#8): \(failure)")
            return nil
        }
    }

    static func read(_ path: String, key: String, error: (String, String) -> Void) -> String? {
        guard !path.isEmpty else {
            error(key, "no file named")
            return nil
        }
        guard FileManager.default.fileExists(atPath: path) else {
            error(key, "\(path) does not exist")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
            error(key, "\(path) cannot be read (permissions?) or is over 1 MiB")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            error(key, "\(path) is not PEM text")
            return nil
        }
        return text
    }

    static func validity(of certificate: Certificate, keyPath: String, file: String, now: Date) -> [Finding] {
        let format = Date.ISO8601FormatStyle().year().month().day()
        if now < certificate.notValidBefore {
            return [
                Finding(
                    severity: .error, keyPath: keyPath,
                    message:
                        "\(file) (\(names(certificate))) is not valid before \(certificate.notValidBefore.formatted(format))"
                )
            ]
        }
        if now > certificate.notValidAfter {
            return [
                Finding(
                    severity: .error, keyPath: keyPath,
                    message: "\(file) (\(names(certificate))) expired on \(certificate.notValidAfter.formatted(format))"
                )
            ]
        }
        let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
        if days < warningDays {
            return [
                Finding(
                    severity: .warning, keyPath: keyPath,
                    message:
                        "\(file) (\(names(certificate))) expires in \(days) days, on \(certificate.notValidAfter.formatted(format))"
                )
            ]
        }
        return []
    }

    /// Whether `leaf` chains to one of `authorities`, possibly through `intermediates`.
    static func chains(
        _ leaf: Certificate, through intermediates: [Certificate], to authorities: [Certificate]
    )
        -> Bool
    {
        var current = leaf
        var remaining = intermediates
        for _ in 0...intermediates.count {
            let issued = { [current] (issuer: Certificate) in
                issuer.subject == current.issuer && issuer.publicKey.isValidSignature(current.signature, for: current)
            }
            if authorities.contains(where: issued) { return true }
            guard let index = remaining.firstIndex(where: issued) else { return false }
            current = remaining.remove(at: index)
        }
        return false
    }

    /// The CNs and DNS names of `certificate`.
    static func identities(_ certificate: Certificate) -> (common: [String], dns: [String]) {
        var common: [String] = []
        for name in certificate.subject {
            for attribute in name where attribute.type == .RDNAttributeType.commonName {
                common.append(String(attribute.value) ?? "\(attribute.value)")
            }
        }
        var dns: [String] = []
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in names { dns.append(name) }
        }
        return (common, dns)
    }

    /// `CN=web-01, DNS web-01.internal`: how a finding names a certificate.
    static func names(_ certificate: Certificate) -> String {
        let (common, dns) = identities(certificate)
        let parts = common.map { "CN=\($0)" } + (dns.isEmpty ? [] : ["DNS " + dns.joined(separator: ", ")])
        return parts.isEmpty ? "\(certificate.subject)" : parts.joined(separator: ", ")
    }
}
