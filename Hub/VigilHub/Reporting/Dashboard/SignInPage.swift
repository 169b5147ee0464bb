import Foundation
import Hummingbird
import NIOCore

/// The sign-in form of an admin address with `admin_auth`: the token is posted once and kept in a cookie
/// (HttpOnly, SameSite=Strict, Secure over HTTPS) that the pages and their live refresh then send.
enum SignInPage {
    static let clearCookie = "\(AdminAuthMiddleware.cookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"

    /// The form, with an optional message, returning to `next` after signing in.
    static func response(next: String, message: String?, status: HTTPResponse.Status) -> Response {
        let notice = message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in · Vigil</title>
            <link rel="stylesheet" href="/assets/dashboard.css">
            </head><body><main>
            <form class="signin" method="post" action="/signin">
            <h1>Vigil</h1>
            <p>This hub's admin address needs a token (a line of its <code>admin_auth.tokens_file</code>).</p>
            \(notice)
            <label for="token">Token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
            <input type="hidden" name="next" value="\(HTML.escape(safeNext(next)))">
            <button type="submit">Sign in</button>
            </form></main></body></html>
            """
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `next` when it is a path on this address, `/` otherwise (so the form cannot send anyone elsewhere).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), next.utf8.count <= 2048,
            !next.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return "/" }
        return next
    }

    /// The sign-in form's fields (`application/x-www-form-urlencoded`).
    struct Form: Decodable {
        var token: String?
        var next: String?
    }
}

extension AdminServer {
    /// `GET /signin` (the form), `POST /signin` (check the token, set the cookie, go back), `POST /signout`.
    static func addSignInRoutes(to router: Router<AdminRequestContext>, access: AdminAccess, secure: Bool) {
        router.get("/signin") { request, _ -> Response in
            SignInPage.response(
                next: request.uri.queryParameters["next"].map(String.init) ?? "/", message: nil, status: .ok)
        }
        router.post("/signin") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 8192)
            let form = try? URLEncodedFormDecoder().decode(SignInPage.Form.self, from: String(buffer: body))
            let next = SignInPage.safeNext(form?.next)
            guard let token = form?.token?.trimmingCharacters(in: .whitespaces), !token.isEmpty,
                access.principal(token: token) != nil
            else {
                return SignInPage.response(
                    next: next, message: "That token is not valid.", status: .unauthorized)
            }
            let cookie =
                "\(AdminAuthMiddleware.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
            return Response(
                status: .seeOther, headers: [.location: next, .setCookie: cookie, .cacheControl: "no-store"])
        }
        router.post("/signout") { _, _ -> Response in
            Response(
                status: .seeOther,
                headers: [.location: "/signin", .setCookie: SignInPage.clearCookie, .cacheControl: "no-store"])
        }
    }
}
