import Foundation
import Testing
import VigilConfiguration
import VigilTestSupport

@testable import VigilHub

/// `admin_auth` and `admin_tls` on a running hub, spoken to with curl (so redirects, cookies and client
/// certificates are exactly what was sent): tokens, the sign-in cookie, client certificates, security headers
/// on every answer, and the configuration rule that keeps an open admin address on loopback.
@Suite("Admin access", .timeLimit(.minutes(3)))
struct AdminAccessTests {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Runs curl with `arguments` and splits its `-i` output into the last answer's status, headers and body.
    static func curl(_ arguments: [String]) async throws -> Answer {
        try await onThread { try curlBlocking(arguments) }
    }

    static func curlBlocking(_ arguments: [String]) throws -> Answer {
        let text = try runCommand(["curl", "-s", "-i", "--max-time", "10"] + arguments).text
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("curl gave no HTTP answer: \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        return Answer(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// curl's exit status for a GET (0: an HTTP answer came; 35/56: the TLS handshake failed).
    static func curlStatus(_ arguments: [String]) throws -> Int32 {
        try runCommand(["curl", "-s", "-o", "/dev/null", "--max-time", "10"] + arguments).status
    }

    static let readToken = "read-token-0123456789abcdef"
    static let adminToken = "admin-token-fedcba9876543210"

    static func tokensFile(in directory: TemporaryDirectory, _ text: String) throws -> String {
        let path = directory.file("admin-tokens")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the tokens file: entries, errors that name the line without quoting a token, constant-time matching")
    func tokensFileParsing() throws {
        let tokens = try AdminTokens.parse(
            "# ops\n\nalice read \(Self.readToken)\n  bob\tadmin  \(Self.adminToken)  \n", source: "t")
        #expect(tokens.entries.map(\.name) == ["alice", "bob"])
        #expect(tokens.match(Self.adminToken.utf8)?.role == .admin)
        #expect(tokens.match(Self.readToken.utf8)?.name == "alice")
        #expect(tokens.match((Self.readToken + "x").utf8) == nil)
        #expect(tokens.match(Self.readToken.dropLast().utf8) == nil)
        #expect(tokens.match("".utf8) == nil)
        let bad: [(String, String)] = [
            ("alice read", "t:1: expected NAME ROLE TOKEN"),
            ("alice owner \(Self.readToken)", "t:1: the role (field 2) must be read or admin"),
            ("\(Self.readToken) alice read", "t:1: the role (field 2) must be"),
            ("alice read short", "t:1: the token (field 3) must be 16 to 256"),
            ("alice read \(Self.readToken);x", "t:1: the token (field 3) must be"),
            ("alice \(Self.readToken) read", "t:1: the role (field 2) must be"),
            ("al ice read \(Self.readToken)", "t:1: expected NAME ROLE TOKEN, got 4 fields"),
            ("a<b read \(Self.readToken)", "t:1: the name (field 1) must be"),
            (
                "a read \(Self.readToken)\na admin \(Self.adminToken)",
                "t:2: the name (field 1) is also the name on line 1"
            ),
            (
                "a read \(Self.readToken)\nb admin \(Self.readToken)",
                "t:2: the token (field 3) is also the token on line 1"
            ),
        ]
        for (text, message) in bad {
            #expect {
                try AdminTokens.parse(text, source: "t")
            } throws: { error in
                let description = "\(error)"
                return description.hasPrefix(message) && !description.contains(Self.readToken)
            }
        }
        #expect(AdminTokens.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!AdminTokens.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!AdminTokens.constantTimeEqual(Array("abc".utf8), Array("abc\0".utf8)))
    }

    @Test("an admin address off loopback without admin_auth is a configuration error; client_ca needs admin_tls")
    func configurationRules() throws {
        let tls = "tls: { ca: ca.pem, cert: hub.pem, key: hub.key }\n"
        func error(_ text: String) -> ConfigurationError? {
            do {
                _ = try HubConfiguration.load(yaml: tls + text, source: "hub.yaml")
                return nil
            } catch { return error }
        }
        for open in ["0.0.0.0:7480", "[::]:7480", "10.1.2.3:7480", "hub.example:7480"] {
            let failure = error("admin: \"\(open)\"\n")
            #expect(failure?.keyPath == "admin_auth", "\(open)")
            #expect(failure?.message.contains("reachable from other hosts") == true, "\(open)")
        }
        for loopback in ["127.0.0.1:7480", "127.9.9.9:0", "[::1]:7480", "localhost:7480"] {
            #expect(error("admin: \"\(loopback)\"\n") == nil, "\(loopback)")
        }
        #expect(error("admin: \"0.0.0.0:7480\"\nadmin_auth: { tokens_file: /etc/vigil/admin-tokens }\n") == nil)
        #expect(error("admin_auth: {}\n")?.keyPath == "admin_auth.tokens_file")
        #expect(error("admin_auth: { client_ca: ops.pem }\n")?.keyPath == "admin_tls")
        #expect(error("admin_auth: { tokens_file: t, client_role: root }\n")?.keyPath == "admin_auth.client_role")
        #expect(error("admin_auth: { token_file: t }\n")?.code == .unknownKey)
        #expect(
            error("admin_auth: { tokens_file: t, client_role: admin }\n")?.message.contains("set client_ca") == true)
        let loaded = try HubConfiguration.load(
            yaml: tls
                + "admin_auth: { client_ca: ops.pem, client_role: admin }\nadmin_tls: { cert: a.pem, key: a.key }\n",
            source: "hub.yaml")
        #expect(loaded.adminAuth?.clientRole == .admin)
        #expect(loaded.adminTLS?.cert == "a.pem")
    }

    @Test("with admin_auth: 401 without a valid token, the sign-in cookie, and security headers on every answer")
    func tokensAndSignIn() async throws {
        let directory = TemporaryDirectory()
        let file = try Self.tokensFile(in: directory, "alice read \(Self.readToken)\n")
        try await TestHub.with(configure: { $0.adminAuth = .init(tokensFile: file) }) { hub in
            let base = "http://127.0.0.1:\(hub.adminPort)"
            func expectHeaders(_ answer: Answer, _ what: String) {
                #expect(answer.headers["content-security-policy"]?.contains("script-src 'self'") == true, "\(what)")
                #expect(answer.headers["content-security-policy"]?.contains("unsafe-inline") == false, "\(what)")
                #expect(answer.headers["x-content-type-options"] == "nosniff", "\(what)")
                #expect(answer.headers["referrer-policy"] == "no-referrer", "\(what)")
            }
            // No token: 401 for the API (JSON, WWW-Authenticate) and the sign-in form for a browser.
            let api = try await Self.curl(["\(base)/v1/status"])
            #expect(api.status == 401)
            #expect(api.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
            #expect(api.body.contains("authentication required"))
            expectHeaders(api, "401")
            let page = try await Self.curl(["-H", "Accept: text/html", "\(base)/services/cart?range=1h"])
            #expect(page.status == 401)
            #expect(page.body.contains("<form class=\"signin\" method=\"post\" action=\"/signin\">"))
            #expect(page.body.contains("name=\"next\" value=\"/services/cart?range=1h\""))
            for path in ["/metrics", "/v1/agents", "/v1/series?name=event_rate&service=cart", "/", "/nowhere"] {
                #expect(try await Self.curl(["\(base)\(path)"]).status == 401, "\(path)")
            }
            // A wrong token, and a right one in the header.
            let wrong = try await Self.curl(["-H", "Authorization: Bearer \(Self.adminToken)", "\(base)/v1/status"])
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("not valid"))
            #expect(!wrong.body.contains(Self.adminToken))
            let right = try await Self.curl(["-H", "Authorization: Bearer \(Self.readToken)", "\(base)/v1/status"])
            #expect(right.status == 200)
            expectHeaders(right, "200")
            let bearer = ["-H", "Authorization: Bearer \(Self.readToken)"]
            expectHeaders(try await Self.curl(bearer + ["\(base)/v1/series?name=nope"]), "400")
            expectHeaders(try await Self.curl(bearer + ["\(base)/nowhere"]), "404")
            // Sign in: a bad token gets the form again; a good one sets the cookie and goes back.
            let refused = try await Self.curl(["--data", "token=nope&next=/decisions", "\(base)/signin"])
            #expect(refused.status == 401)
            #expect(refused.body.contains("That token is not valid."))
            #expect(refused.headers["set-cookie"] == nil)
            let signedIn = try await Self.curl([
                "--data-urlencode", "token=\(Self.readToken)", "--data-urlencode", "next=/decisions?range=6h",
                "\(base)/signin",
            ])
            #expect(signedIn.status == 303)
            #expect(signedIn.headers["location"] == "/decisions?range=6h")
            let cookie = try #require(signedIn.headers["set-cookie"])
            #expect(cookie.hasPrefix("vigil_token=\(Self.readToken);"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"), "plain HTTP: a Secure cookie would never come back")
            let elsewhere = try await Self.curl([
                "--data-urlencode", "token=\(Self.readToken)", "--data-urlencode", "next=//evil.example/",
                "\(base)/signin",
            ])
            #expect(elsewhere.headers["location"] == "/")
            let withCookie = try await Self.curl(["-H", "Cookie: vigil_token=\(Self.readToken)", "\(base)/decisions"])
            #expect(withCookie.status == 200)
            #expect(withCookie.body.contains("alice (read)"))
            let stale = try await Self.curl([
                "-H", "Accept: text/html", "-H", "Cookie: vigil_token=\(Self.adminToken)", "\(base)/decisions",
            ])
            #expect(stale.status == 401)
            #expect(stale.headers["set-cookie"]?.contains("Max-Age=0") == true)
            // The assets and the form are open, so the sign-in page has its style.
            #expect(try await Self.curl(["\(base)/assets/dashboard.css"]).status == 200)
            #expect(try await Self.curl(["\(base)/signin"]).status == 200)
            // The tokens file is read again when it changes: a new token works, the removed one no longer.
            try "bob admin \(Self.adminToken)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let reloaded = try await TestHub.eventually(timeout: .seconds(5)) {
                try await Self.curl(["-H", "Authorization: Bearer \(Self.adminToken)", "\(base)/v1/status"]).status
                    == 200
            }
            #expect(reloaded)
            #expect(try await Self.curl(bearer + ["\(base)/v1/status"]).status == 401)
        }
    }

    @Test("a tokens file that does not load stops the hub at start, naming the line")
    func badTokensFileAtStart() async throws {
        let directory = TemporaryDirectory()
        let file = try Self.tokensFile(in: directory, "alice read short\n")
        await #expect {
            try await TestHub.with(configure: { $0.adminAuth = .init(tokensFile: file) }) { _ in }
        } throws: { error in
            "\(error)".contains("admin-tokens:1: the token (field 3)")
        }
    }

    @Test("admin_tls with client_ca: a certificate from the CA is let in, none gets 401, another CA's is refused")
    func clientCertificates() async throws {
        let certs = TestCertificates.shared
        let directory = TemporaryDirectory()
        let file = try Self.tokensFile(in: directory, "alice read \(Self.readToken)\n")
        try await TestHub.with(configure: {
            $0.adminTLS = .init(cert: certs.hubCert, key: certs.hubKey)
            var auth = HubConfiguration.AdminAuth(tokensFile: file)
            auth.clientCA = certs.ca
            $0.adminAuth = auth
        }) { hub in
            let port = hub.adminPort
            let tls = ["--cacert", certs.ca, "--resolve", "localhost:\(port):127.0.0.1"]
            let url = "https://localhost:\(port)/v1/status"
            let none = try await Self.curl(tls + [url])
            #expect(none.status == 401)
            let good = try await Self.curl(
                tls + ["--cert", certs.agentCert("web-01"), "--key", certs.agentKey("web-01"), url])
            #expect(good.status == 200)
            let page = try await Self.curl(
                tls + [
                    "--cert", certs.agentCert("web-01"), "--key", certs.agentKey("web-01"),
                    "https://localhost:\(port)/decisions",
                ])
            #expect(page.body.contains("web-01 (read)"))
            // Another CA's certificate: the handshake fails (curl 35 or 56), unlike a bad path (58) or flag (2).
            let other = "\(certs.otherDirectory)/agent-web-01"
            let refused = try await onThread {
                try Self.curlStatus(tls + ["--cert", "\(other).pem", "--key", "\(other).key", url])
            }
            #expect([35, 56].contains(refused), "curl exit \(refused)")
            let accepted = try await onThread {
                try Self.curlStatus(
                    tls + ["--cert", certs.agentCert("web-01"), "--key", certs.agentKey("web-01"), url])
            }
            #expect(accepted == 0)
            let signedIn = try await Self.curl(
                tls + ["--data-urlencode", "token=\(Self.readToken)", "https://localhost:\(port)/signin"])
            #expect(signedIn.status == 303)
            #expect(signedIn.headers["set-cookie"]?.hasSuffix("; Secure") == true, "over HTTPS the cookie is Secure")
        }
    }
}

extension HubConfiguration.AdminAuth {
    init(tokensFile: String) {
        self.init()
        self.tokensFile = tokensFile
    }
}
