import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOSSL

/// The admin address's request context: the connection (for a client certificate) and who the request is.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel
    /// Who proved themselves, when `admin_auth` is set and they did.
    public var principal: AdminPrincipal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Sets the security headers on every response, errors and 404s included: a Content-Security-Policy that
/// allows only the hub's own script and style (no inline script, no other origin), `nosniff`, and no referrer.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            logger.error("admin request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = try AdminServer.json(AdminErrorBody(error: "internal error"), status: .internalServerError)
        }
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[Self.referrerPolicy] = "no-referrer"
        return response
    }
}

/// Lets a request through only with a valid token (an `Authorization: Bearer` header or the sign-in cookie)
/// or a client certificate from `admin_auth.client_ca`, when `admin_auth` is set. Without it everything
/// passes (the configuration allows that only on loopback). The sign-in form and the stylesheet and script
/// are always served.
///
/// A request without valid credentials gets 401 with `WWW-Authenticate: Bearer`: the sign-in page when it
/// asks for HTML, a JSON error otherwise. Tokens are never logged.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    static let cookie = "vigil_token"
    static let open: Set<String> = [
        "/signin", "/signout", "/assets/dashboard.css", "/assets/dashboard.js", "/healthz", "/readyz",
    ]

    let access: AdminAccess

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard access.required else { return try await next(request, context) }
        var context = context
        let presented = Self.bearer(request) ?? Self.cookieToken(request)
        if Self.open.contains(request.uri.path) {
            // Open to all, but a valid token still says who asks (`/readyz` shows details to the signed-in).
            context.principal = presented.flatMap { access.principal(token: $0) }
            return try await next(request, context)
        }
        if let presented, let principal = access.principal(token: presented) {
            context.principal = principal
            return try await next(request, context)
        }
        if presented == nil, access.auth?.clientCA != nil, let principal = try await certificatePrincipal(context) {
            context.principal = principal
            return try await next(request, context)
        }
        let reason =
            presented == nil
            ? "authentication required: send Authorization: Bearer TOKEN (a token of admin_auth.tokens_file)"
                + (access.auth?.clientCA != nil ? " or a client certificate from admin_auth.client_ca" : "")
            : "the token is not valid (not in admin_auth.tokens_file)"
        return try Self.unauthorized(request, reason: reason, signedOut: presented != nil)
    }

    func certificatePrincipal(_ context: Context) async throws -> AdminPrincipal? {
        // With `optionalVerification`, a certificate the handshake accepted chains to the client CA.
        guard let certificate = try? await context.channel.nioSSL_peerCertificate().get() else { return nil }
        let subject = Self.commonName(certificate) ?? "client certificate"
        return AdminPrincipal(name: subject, role: access.auth?.clientRole ?? .read, proof: .certificate)
    }

    static func commonName(_ certificate: NIOSSLCertificate) -> String? {
        let identity = PeerIdentity(certificate: certificate)
        return identity.commonName ?? identity.dnsNames.first
    }

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    static func cookieToken(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == cookie { return String(parts[1]) }
            }
        }
        return nil
    }

    static func wantsHTML(_ request: Request) -> Bool {
        request.method == .get && (request.headers[.accept] ?? "").contains("text/html")
    }

    static func unauthorized(_ request: Request, reason: String, signedOut: Bool) throws -> Response {
        if wantsHTML(request) {
            let next = request.uri.description
            var response = SignInPage.response(
                next: next, message: signedOut ? "Your sign-in is no longer valid; sign in again." : nil,
                status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"vigil\""
            if signedOut { response.headers[.setCookie] = SignInPage.clearCookie }
            return response
        }
        var response = try AdminServer.json(AdminErrorBody(error: reason), status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"vigil\""
        return response
    }
}
