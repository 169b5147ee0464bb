import Foundation

// PostgresTarget: where `store.url` points, parsed once at configuration time so a bad URL is a one-line error
// naming the key, and never echoed with a secret in it.
//
// Invariants:
// - The URL carries no password: a password goes in `store.password_file`. A URL with one is refused, and the
//   error shows the URL with the password replaced by `***`.
// - ``description`` is what logs, errors, `check-config` and `/v1/status` show: user, host, port and database,
//   never a password.
// - `host` is a host name, or, as with libpq, a socket directory when it starts with `/` (from the `host=`
//   query parameter, which wins over the authority). TLS applies to TCP only.

/// A PostgreSQL server, user and database, from a `postgres://` URL.
public struct PostgresTarget: Sendable, Hashable, CustomStringConvertible {
    /// How TLS is used, as libpq's `sslmode` (the subset that is safe to offer).
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (for a socket directory, always).
        case disable
        /// TLS, without checking the server's certificate.
        case require
        /// TLS; the certificate must chain to `store.ca`.
        case verifyCA = "verify-ca"
        /// TLS; the certificate must chain to `store.ca` and name the host. The default.
        case verifyFull = "verify-full"
    }

    /// The user to log in as.
    public var user: String
    /// A host name or address, or a socket directory (starting with `/`).
    public var host: String
    /// The port (also names the socket file in a socket directory).
    public var port: Int
    /// The database.
    public var database: String
    /// TLS.
    public var sslMode: SSLMode

    /// Whether `host` is a socket directory.
    public var isSocket: Bool { host.hasPrefix("/") }
    /// The socket file, for a socket directory.
    public var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

    /// `postgres://user@host:port/database` (with `?host=` for a socket), without credentials.
    public var description: String {
        isSocket
            ? "postgres://\(user)@/\(database)?host=\(host)&port=\(port)"
            : "postgres://\(user)@\(host):\(port)/\(database)"
    }

    /// Parses `postgres://user@host[:port]/database[?sslmode=…&host=/socket/dir&port=…]`.
    public static func parse(_ text: String) throws(PostgresTargetError) -> PostgresTarget {
        guard let components = URLComponents(string: text) else {
            throw PostgresTargetError("not a URL: \(redacted(text))")
        }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw PostgresTargetError(
                "expected a postgres:// URL, got scheme \(components.scheme.map { "\"\($0)\"" } ?? "none")")
        }
        if components.password != nil {
            throw PostgresTargetError(
                "the URL \(redacted(text)) contains a password; put it in store.password_file instead")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard ["sslmode", "host", "port"].contains(item.name) else {
                throw PostgresTargetError(
                    "unknown URL parameter \"\(item.name)\"; expected sslmode, host or port")
            }
            query[item.name] = item.value ?? ""
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresTargetError("the URL names no user; write postgres://USER@host/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresTargetError("the URL names no database; write postgres://\(user)@host/DATABASE")
        }
        guard let host = query["host"] ?? components.host, !host.isEmpty else {
            throw PostgresTargetError("the URL names no host (or ?host=/socket/directory)")
        }
        var port = components.port ?? 5432
        if let text = query["port"] {
            guard let value = Int(text) else { throw PostgresTargetError("port \"\(text)\" is not a number") }
            port = value
        }
        guard (1...65535).contains(port) else { throw PostgresTargetError("port \(port) is not in 1...65535") }
        let isSocket = host.hasPrefix("/")
        var mode: SSLMode = isSocket ? .disable : .verifyFull
        if let text = query["sslmode"] {
            guard let value = SSLMode(rawValue: text) else {
                throw PostgresTargetError(
                    "sslmode \"\(text)\" is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            mode = value
        }
        if isSocket && mode != .disable {
            throw PostgresTargetError("sslmode=\(mode.rawValue) does not apply to the socket directory \(host)")
        }
        return PostgresTarget(user: user, host: host, port: port, database: database, sslMode: mode)
    }

    /// `text` with any password in its authority replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"),
            let at = text[scheme.upperBound...].firstIndex(of: "@")
        else { return text }
        let authority = text[scheme.upperBound..<at]
        guard let colon = authority.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}

/// Why a `store.url` was refused; never contains a password.
public struct PostgresTargetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}
