import NIOSSL

extension PeerIdentity {
    /// The identity of a verified peer certificate.
    public init(certificate: NIOSSLCertificate) {
        let commonName = certificate.subjectName.last { $0.type == .commonName }?.value
        var dnsNames: [String] = []
        for name in certificate._subjectAlternativeNames() where name.nameType == .dnsName {
            dnsNames.append(String(decoding: Array(name.contents), as: UTF8.self))
        }
        self.init(commonName: commonName, dnsNames: dnsNames)
    }
}
