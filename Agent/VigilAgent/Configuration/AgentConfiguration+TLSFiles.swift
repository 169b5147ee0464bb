import VigilConfiguration

extension AgentConfiguration {
    /// `tls`: paths of the PEM files for mutual TLS 1.3. All three are required; the files are read
    /// (and re-read on change) by the shipper, never by the configuration loader.
    public struct TLSFiles: Sendable, Equatable {
        /// `tls.ca`: the ops CA that signed the hub's certificate. Required.
        public var ca: String
        /// `tls.cert`: this agent's certificate chain. Required.
        public var cert: String
        /// `tls.key`: this agent's private key. Required; its contents are never printed.
        public var key: String

        /// Creates the file set.
        public init(ca: String, cert: String, key: String) {
            self.ca = ca
            self.cert = cert
            self.key = key
        }

        init(from node: ConfigurationNode) throws(ConfigurationError) {
            let map = try node.mapping(allowedKeys: ["ca", "cert", "key"])
            func path(_ key: String, _ hint: String) throws(ConfigurationError) -> String {
                try map.required(key, hint: hint).filePath()
            }
            self.ca = try path("ca", "the CA certificate PEM, e.g. /etc/vigil/ca.pem")
            self.cert = try path("cert", "this agent's certificate PEM, e.g. /etc/vigil/agent.pem")
            self.key = try path("key", "this agent's private key PEM, e.g. /etc/vigil/agent.key")
        }
    }
}
