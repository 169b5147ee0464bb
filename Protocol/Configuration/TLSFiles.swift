/// `tls`: the paths of the PEM files for mutual TLS 1.3, the same three keys for the agent and the hub. Paths
/// only: the daemons read the files when they start and again whenever they change on disk, `check-config`
/// reads them with ``TLSFilesCheck``, the configuration loader never does.
public struct TLSFiles: Sendable, Hashable {
    /// `tls.ca`: the CA certificate(s) the peer's certificate must chain to.
    public var ca: String
    /// `tls.cert`: this side's certificate chain.
    public var cert: String
    /// `tls.key`: this side's private key; its contents are never printed.
    public var key: String

    /// Creates the file set.
    public init(ca: String, cert: String, key: String) {
        self.ca = ca
        self.cert = cert
        self.key = key
    }

    /// Reads the `tls` mapping; all three keys are required. `own` names this side in the hints of a missing
    /// key ("agent", "hub"), whose files are then suggested as `/etc/vigil/<own>.pem` and `.key`.
    public init(from node: ConfigurationNode, own: String) throws(ConfigurationError) {
        let map = try node.mapping(allowedKeys: ["ca", "cert", "key"])
        func path(_ key: String, _ hint: String) throws(ConfigurationError) -> String {
            try map.required(key, hint: hint).filePath()
        }
        self.ca = try path("ca", "the CA certificate PEM, e.g. /etc/vigil/ca.pem")
        self.cert = try path("cert", "this \(own)'s certificate PEM, e.g. /etc/vigil/\(own).pem")
        self.key = try path("key", "this \(own)'s private key PEM, e.g. /etc/vigil/\(own).key")
    }
}
