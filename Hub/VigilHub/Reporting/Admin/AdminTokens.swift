import Foundation
import Logging
import Synchronization

/// Who made an admin request, as far as `admin_auth` knows.
public struct AdminPrincipal: Sendable, Hashable {
    /// How the request proved who it is.
    public enum Proof: String, Sendable, Hashable {
        /// A bearer token from `admin_auth.tokens_file` (header or sign-in cookie).
        case token
        /// A client certificate that chains to `admin_auth.client_ca`.
        case certificate
    }

    /// The token's name, or the certificate's subject.
    public var name: String
    /// What the principal may do.
    public var role: HubConfiguration.AdminRole
    /// How it proved it.
    public var proof: Proof
}

/// A file of `admin_auth` or `admin_tls` that does not load: which file, and for the tokens file which line and
/// field, never a field's value (a line written in the wrong order would otherwise print its token).
struct AdminFileError: Error, CustomStringConvertible {
    var description: String
}

/// The tokens of `admin_auth.tokens_file`: one per line, `NAME ROLE TOKEN`, `#` comments and blank lines
/// ignored. Pure.
///
/// Invariants: names and tokens are unique; a token is 16 to 256 characters of `A-Z a-z 0-9 . _ ~ + / = -`
/// (so it fits a header and a cookie unquoted); ``match(_:)`` compares a presented token with every
/// entry in time that depends only on the lengths, never stopping at the first match or mismatch.
struct AdminTokens: Sendable {
    struct Entry: Sendable {
        var name: String
        var role: HubConfiguration.AdminRole
        var token: [UInt8]
        var line: Int
    }

    static let tokenCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-".utf8)
    static let nameCharacters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-".utf8)

    var entries: [Entry]

    static func parse(_ text: String, source: String) throws(AdminFileError) -> AdminTokens {
        var entries: [Entry] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let at = "\(source):\(index + 1)"
            guard fields.count == 3 else {
                throw AdminFileError(description: "\(at): expected NAME ROLE TOKEN, got \(fields.count) fields")
            }
            let name = String(fields[0])
            guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy(nameCharacters.contains) else {
                throw AdminFileError(description: "\(at): the name (field 1) must be 1 to 64 of A-Z a-z 0-9 . _ @ -")
            }
            guard let role = HubConfiguration.AdminRole(rawValue: String(fields[1])) else {
                throw AdminFileError(description: "\(at): the role (field 2) must be read or admin")
            }
            let token = Array(fields[2].utf8)
            guard (16...256).contains(token.count), token.allSatisfy(tokenCharacters.contains) else {
                throw AdminFileError(
                    description: "\(at): the token (field 3) must be 16 to 256 of A-Z a-z 0-9 . _ ~ + / = - "
                        + "(for example: openssl rand -hex 24)")
            }
            if let earlier = entries.first(where: { $0.name == name }) {
                throw AdminFileError(description: "\(at): the name (field 1) is also the name on line \(earlier.line)")
            }
            if let earlier = entries.first(where: { $0.token == token }) {
                throw AdminFileError(
                    description: "\(at): the token (field 3) is also the token on line \(earlier.line)")
            }
            entries.append(Entry(name: name, role: role, token: token, line: index + 1))
        }
        return AdminTokens(entries: entries)
    }

    /// The entry whose token equals `presented`, compared with every entry in constant time.
    func match(_ presented: some Sequence<UInt8>) -> Entry? {
        let presented = Array(presented)
        var found: Entry?
        for entry in entries where Self.constantTimeEqual(entry.token, presented) {
            found = entry
        }
        return found
    }

    /// Whether `a == b`, looking at every byte of the longer of the two whatever they hold.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}

/// The admin address's credentials, reloaded when the tokens file changes on disk.
///
/// Invariants: a tokens file that fails to load at start stops the hub; one that fails to load later keeps
/// the previous tokens in use, logs why (without any token) and is tried again every second; a deleted one
/// revokes every token. Checking a credential looks at the file's ``FileStamp`` at most once per second.
final class AdminAccess: Sendable {
    let auth: HubConfiguration.AdminAuth?
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var tokens = AdminTokens(entries: [])
        var stamp: FileStamp?
        var failed: FileStamp?
        var checked = ContinuousClock.Instant.now
    }

    /// Loads the tokens file; throws when it cannot be read or has a bad line.
    init(auth: HubConfiguration.AdminAuth?, logger: Logger) throws {
        self.auth = auth
        self.logger = logger
        var state = State()
        if let path = auth?.tokensFile {
            state.tokens = try Self.load(path)
            state.stamp = FileStamp([path])
            if let mode = Self.permissions(path), mode & 0o077 != 0 {
                logger.warning(
                    "admin_auth.tokens_file is readable by other users; chmod 600 it",
                    metadata: ["path": "\(path)", "mode": "\(String(mode, radix: 8))"])
            }
        }
        self.state = Mutex(state)
    }

    /// Whether requests must prove who they are (`admin_auth` is set).
    var required: Bool { auth != nil }

    /// The principal whose token this is, or nil.
    func principal(token: String) -> AdminPrincipal? {
        guard let path = auth?.tokensFile else { return nil }
        let tokens = state.withLock { state -> AdminTokens in
            let now = ContinuousClock.Instant.now
            if now - state.checked >= .seconds(1) {
                state.checked = now
                let stamp = FileStamp([path])
                if stamp != state.stamp {
                    do {
                        // A deleted file revokes every token; one that does not parse keeps the last good ones.
                        state.tokens = stamp.allPresent ? try Self.load(path) : AdminTokens(entries: [])
                        state.stamp = stamp
                        state.failed = nil
                        if !stamp.allPresent {
                            logger.error("admin_auth.tokens_file is gone; no token is accepted until it is back")
                        } else {
                            logger.notice(
                                "admin_auth.tokens_file reloaded",
                                metadata: ["tokens": "\(state.tokens.entries.count)"])
                        }
                    } catch {
                        // Retried every second until it loads (a half-written file), reported once per version.
                        if state.failed != stamp {
                            state.failed = stamp
                            logger.error(
                                "admin_auth.tokens_file changed but does not load; the previous tokens stay in use",
                                metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
            return state.tokens
        }
        return tokens.match(token.utf8).map { AdminPrincipal(name: $0.name, role: $0.role, proof: .token) }
    }

    static func load(_ path: String) throws -> AdminTokens {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AdminFileError(description: "\(path): cannot read admin_auth.tokens_file: \(error)")
        }
        return try AdminTokens.parse(text, source: path)
    }

    static func permissions(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }
}
