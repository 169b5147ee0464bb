import VigilProtocol

/// The names an agent's client certificate proves: its subject common name, DNS subject alternative names
/// and URI subject alternative names (where `vigil:service:NAME` says what it may speak for). Pure; built
/// from the verified peer certificate after the TLS handshake.
public struct PeerIdentity: Sendable, Hashable {
    /// The subject's common name, if it has one.
    public var commonName: String?
    /// The DNS names among its subject alternative names.
    public var dnsNames: [String]
    /// The URIs among its subject alternative names.
    public var uris: [String]

    /// Creates an identity.
    public init(commonName: String?, dnsNames: [String], uris: [String] = []) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.uris = uris
    }

    /// Whether `agentID` is the common name or one of the DNS names, compared exactly (an agent id is
    /// case-sensitive, and a certificate name is never a pattern here).
    public func permits(agentID: String) -> Bool {
        guard !agentID.isEmpty else { return false }
        return commonName == agentID || dnsNames.contains(agentID)
    }

    /// The services the certificate lets the agent speak for.
    public var services: ServiceGrant { ServiceGrant(certificateURIs: uris) }

    /// The names, for log lines and reject messages.
    public var names: String {
        let all = (commonName.map { ["CN=\($0)"] } ?? []) + dnsNames.map { "DNS:\($0)" }
        return all.isEmpty ? "no names" : all.joined(separator: ", ")
    }
}
