/// The names an agent's client certificate proves: its subject common name and DNS subject
/// alternative names. Pure; built from the verified peer certificate after the TLS handshake.
public struct PeerIdentity: Sendable, Hashable {
    /// The subject's common name, if it has one.
    public var commonName: String?
    /// The DNS names among its subject alternative names.
    public var dnsNames: [String]

    /// Creates an identity.
    public init(commonName: String?, dnsNames: [String]) {
        self.commonName = commonName
        self.dnsNames = dnsNames
    }

    /// Whether `agentID` is the common name or one of the DNS names, compared exactly (an agent id is
    /// case-sensitive, and a certificate name is never a pattern here).
    public func permits(agentID: String) -> Bool {
        guard !agentID.isEmpty else { return false }
        return commonName == agentID || dnsNames.contains(agentID)
    }

    /// The names, for log lines and reject messages.
    public var names: String {
        let all = (commonName.map { ["CN=\($0)"] } ?? []) + dnsNames.map { "DNS:\($0)" }
        return all.isEmpty ? "no names" : all.joined(separator: ", ")
    }
}
