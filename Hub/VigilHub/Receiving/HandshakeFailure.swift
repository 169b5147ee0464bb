import Foundation

/// Why a TLS handshake failed, as counted in `/v1/status` (`tls_handshake_failures_by_reason`) and
/// `/metrics` (`vigil_hub_tls_handshake_failures_total{reason}`). Pure: classified from the error's
/// description (BoringSSL reason names) and, when the client did send a certificate, its validity
/// period, so an expired certificate is told apart from one of another CA.
public enum HandshakeFailure: String, CaseIterable, Sendable {
    /// The client sent no certificate.
    case noCertificate = "no_certificate"
    /// The client's certificate has expired.
    case certificateExpired = "certificate_expired"
    /// The client's certificate is not valid yet.
    case certificateNotYetValid = "certificate_not_yet_valid"
    /// The client's certificate is in its validity period but does not chain to the hub's CA.
    case certificateUntrusted = "certificate_untrusted"
    /// The client offered no TLS 1.3.
    case protocolVersion = "protocol_version"
    /// The client did not speak TLS at all (plain TCP, HTTP).
    case notTLS = "not_tls"
    /// The client did not finish the handshake within the Hello timeout.
    case timeout
    /// The connection closed during the handshake.
    case closed
    /// Anything else.
    case other

    /// Classifies a handshake error. `certificateValidity` is the presented certificate's
    /// `notBefore...notAfter` when the client sent one.
    public static func classify(
        _ error: any Error, certificateValidity: ClosedRange<Date>?, now: Date
    ) -> HandshakeFailure {
        let text = String(describing: error).uppercased()
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("NO_CERTIFICATE") {
            return .noCertificate
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            guard let validity = certificateValidity else { return .certificateUntrusted }
            if now > validity.upperBound { return .certificateExpired }
            if now < validity.lowerBound { return .certificateNotYetValid }
            return .certificateUntrusted
        }
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("PROTOCOL_VERSION")
            || text.contains("NO_SHARED_CIPHER") || text.contains("TLSV1_ALERT_PROTOCOL_VERSION")
        {
            return .protocolVersion
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST")
            || text.contains("WRONG_SSL_VERSION") || text.contains("UNEXPECTED_RECORD")
        {
            return .notTLS
        }
        if text.contains("UNCLEANSHUTDOWN") || text.contains("EOF") || text.contains("CONNECTION_RESET")
            || text.contains("CONNECTIONRESET")
        {
            return .closed
        }
        return .other
    }
}
