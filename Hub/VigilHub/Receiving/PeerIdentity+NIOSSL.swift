import NIOSSL

extension PeerIdentity {
    /// The identity of a verified peer certificate.
    public init(certificate: NIOSSLCertificate) {
        let commonName = certificate.subjectName.last { $0.type == .commonName }?.value
        var dnsNames: [String] = []
        var uris: [String] = []
        for name in certificate._subjectAlternativeNames() {
            let text = String(decoding: Array(name.contents), as: UTF8.self)
            if name.nameType == .dnsName {
                dnsNames.append(text)
            } else if name.nameType == .uri {
                uris.append(text)
            }
        }
        self.init(commonName: commonName, dnsNames: dnsNames, uris: uris)
    }
}
