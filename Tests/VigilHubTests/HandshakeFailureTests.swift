import Foundation
import Testing
import VigilHub

/// The reason a refused handshake is counted under; the real handshakes are in `AgentReceiverTests`
/// and the reliability `MTLSMatrix`, this checks the classification of certificate dates.
@Suite("Handshake failure reasons")
struct HandshakeFailureTests {
    struct VerifyFailed: Error, CustomStringConvertible {
        var description: String {
            "handshakeFailed(sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED]))"
        }
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a failed verification is expired, not yet valid or untrusted by the certificate's dates")
    func certificateDates() {
        let day: TimeInterval = 86_400
        let expired = now.addingTimeInterval(-10 * day)...now.addingTimeInterval(-day)
        let future = now.addingTimeInterval(day)...now.addingTimeInterval(10 * day)
        let current = now.addingTimeInterval(-day)...now.addingTimeInterval(day)
        #expect(
            HandshakeFailure.classify(VerifyFailed(), certificateValidity: expired, now: now) == .certificateExpired)
        #expect(
            HandshakeFailure.classify(VerifyFailed(), certificateValidity: future, now: now) == .certificateNotYetValid)
        #expect(
            HandshakeFailure.classify(VerifyFailed(), certificateValidity: current, now: now) == .certificateUntrusted)
        #expect(HandshakeFailure.classify(VerifyFailed(), certificateValidity: nil, now: now) == .certificateUntrusted)
    }

    @Test("BoringSSL reasons map to their labels; anything unknown is other")
    func reasons() {
        struct Failure: Error, CustomStringConvertible { var description: String }
        let cases: [(String, HandshakeFailure)] = [
            ("error:...:PEER_DID_NOT_RETURN_A_CERTIFICATE", .noCertificate),
            ("error:...:UNSUPPORTED_PROTOCOL", .protocolVersion),
            ("error:...:WRONG_VERSION_NUMBER", .notTLS),
            ("error:...:HTTP_REQUEST", .notTLS),
            ("uncleanShutdown", .closed),
            ("something new", .other),
        ]
        for (text, reason) in cases {
            #expect(HandshakeFailure.classify(Failure(description: text), certificateValidity: nil, now: now) == reason)
        }
    }
}
