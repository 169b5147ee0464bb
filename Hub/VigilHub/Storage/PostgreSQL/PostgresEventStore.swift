import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The hub's shared store: one PostgreSQL database that several hub replicas write at once (DESIGN §7).
///
/// Invariants:
/// - **Exactly once across replicas.** A commit locks the rows of its streams (`SELECT … FOR UPDATE`, in key
///   order) before it reads their high-water marks, and advances them in the same transaction as the
///   records: two replicas holding one stream at once (an agent that failed over while its old connection
///   still had batches in flight) serialise on that lock, and the second sees what the first stored. Events
///   are also unique by `(time_unix_nano, event_id)`, inserted with `ON CONFLICT DO NOTHING`.
/// - **Acknowledged means committed.** ``commit(_:at:)`` returns after PostgreSQL's `COMMIT` returned, with
///   `synchronous_commit = on` for the session (the server's WAL flush, and its synchronous standbys if it
///   has any, come first). A failed commit stores nothing of it and fails every batch in it; a deadlock or
///   serialisation failure between replicas is retried a few times first.
/// - **Never trusts agent text in SQL.** Values go in as bind parameters; the only text spliced into SQL is
///   ours (table names, integer bounds). PostgreSQL refuses NUL in text, so a NUL in an agent's text column
///   is stored as U+FFFD rather than failing the whole group commit.
/// - **Credentials stay out of sight.** ``location`` and every error name the target without a password.
/// - **Losing PostgreSQL stops acks, not the hub.** Failed commits are returned to the committer (no ack goes
///   out, agents keep their records and back off); the pool reconnects on its own when the server is back.
public final class PostgresEventStore: EventStore, Sendable {
    /// Always `postgres`.
    public let kind = "postgres"
    /// The target, without credentials.
    public let location: String
    /// The replica's name: agents connected through it are marked with it.
    public let hubID: String
    /// The pool with a deadline on every call: what every statement goes through.
    let pool: PostgresPool
    let logger: Logger
    let partitions: PostgresPartitions
    /// How long a commit or a read may wait for the server before it fails (a server that is gone otherwise
    /// leaves the pool waiting for a connection indefinitely).
    let timeout: Duration
    /// How commits send their rows (``WriteMethod/unnest`` unless a benchmark asks for the other).
    let writeMethod: WriteMethod

    private init(
        target: PostgresTarget, hubID: String, pool: PostgresPool, partitions: PostgresPartitions,
        timeout: Duration, writeMethod: WriteMethod, logger: Logger
    ) {
        self.location = target.description
        self.timeout = timeout
        self.writeMethod = writeMethod
        self.hubID = hubID
        self.pool = pool
        self.partitions = partitions
        self.logger = logger
    }

    /// How to reach the server: the target, the password (from `store.password_file`) and the CA file.
    public struct Connection: Sendable {
        /// Server, user, database, TLS mode.
        public var target: PostgresTarget
        /// The password, or `nil` for none (trust or peer authentication).
        public var password: String?
        /// PEM file of the CA(s) the server's certificate must chain to; `nil` for the system's.
        public var caFile: String?
        /// Connections in the pool.
        public var poolSize: Int

        /// Creates the settings.
        public init(target: PostgresTarget, password: String? = nil, caFile: String? = nil, poolSize: Int = 8) {
            self.target = target
            self.password = password
            self.caFile = caFile
            self.poolSize = poolSize
        }

        /// The settings of `store` in hub.yaml, reading the password file.
        public static func from(_ store: HubConfiguration.Store) throws(StoreError) -> Connection {
            guard let target = store.postgres else {
                throw StoreError(code: .open, message: "store.url is not set")
            }
            var password: String?
            if let file = store.passwordFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw StoreError(code: .open, message: "cannot read store.password_file \(file)")
                }
                password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
            }
            return Connection(target: target, password: password, caFile: store.ca, poolSize: store.pool)
        }
    }

    /// Connects, applies pending migrations (under the migration lock) and starts the pool. Fails with one line
    /// naming the target when the server cannot be reached, refuses the login, or the schema cannot be made.
    /// `rawRetentionDays` sets how far back days get partitions of their own.
    public static func open(
        _ connection: Connection, hubID: String, rawRetentionDays: Int64 = 90, timeout: Duration = .seconds(30),
        writeMethod: WriteMethod = .unnest, logger: Logger = Logger(label: "vigil.hub.postgres")
    ) async throws(StoreError) -> PostgresEventStore {
        let target = connection.target
        do {
            let direct = try await PostgresConnection.connect(
                configuration: try connectionConfiguration(connection), id: 0, logger: logger)
            do {
                try await prepare(direct, logger: logger)
                _ = try await PostgresSchema.migrate(direct, logger: logger)
                try? await direct.close()
            } catch {
                try? await direct.close()
                throw error
            }
        } catch {
            throw classify(error, as: .open, doing: "open \(target)")
        }
        let pool: PostgresPool
        do {
            pool = PostgresPool(
                configuration: try clientConfiguration(connection, timeout: timeout), location: target.description,
                timeout: timeout,
                logger: logger)
        } catch {
            throw classify(error, as: .open, doing: "open \(target)")
        }
        let store = PostgresEventStore(
            target: target, hubID: hubID, pool: pool,
            partitions: PostgresPartitions(daysBack: rawRetentionDays + 1), timeout: timeout,
            writeMethod: writeMethod, logger: logger)
        do {
            try await store.partitions.makeAhead(today: store.today(), pool: store.pool, logger: logger)
        } catch {
            throw classify(error, as: .open, doing: "make partitions in \(target)")
        }
        return store
    }

    /// Stops the pool: queries after this fail with ``StoreError/Code/closed``.
    public func close() {
        pool.close()
    }

    /// Names of the migrations applied to the database, oldest first.
    public func appliedMigrations() async throws(StoreError) -> [String] {
        do {
            return try await pool.withConnection { [logger] connection in
                try await PostgresSchema.applied(connection, logger: logger)
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "list migrations in \(location)")
        }
    }

    public func openStream(_ hello: AgentHello, at now: Int64) async throws(StoreError) -> UInt64 {
        let hubID = self.hubID
        let labels = JSONText.encode(hello.labels) ?? "{}"
        let streamID = ByteBuffer(bytes: hello.streamID)
        let agentID = Self.text(hello.agentID)
        do {
            return try await pool.withTransaction { [logger] connection in
                try await connection.query(
                    """
                    INSERT INTO agents (agent_id, hostname, agent_version, labels, first_seen, last_seen, connected_hub,
                                        stream_id)
                    VALUES (\(agentID), \(Self.text(hello.hostname)), \(Self.text(hello.agentVersion)), \(labels),
                            \(now), \(now), \(hubID), \(streamID))
                    ON CONFLICT (agent_id) DO UPDATE SET
                        hostname = excluded.hostname, agent_version = excluded.agent_version,
                        labels = excluded.labels, last_seen = excluded.last_seen, connected_hub = excluded.connected_hub,
                        stream_id = excluded.stream_id
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO streams (agent_id, stream_id, first_seen, last_seen) VALUES (\(agentID), \(streamID), \(now), \(now))
                    ON CONFLICT (agent_id, stream_id) DO UPDATE SET last_seen = excluded.last_seen
                    """, logger: logger)
                let hwm = try await connection.query(
                    "SELECT hwm FROM streams WHERE agent_id = \(agentID) AND stream_id = \(streamID)", logger: logger
                ).collect().first?.decode(Int64.self)
                return UInt64(max(0, hwm ?? 0))
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "record the hello of an agent")
        }
    }

    public func markDisconnected(agentID: String, at now: Int64) async throws(StoreError) {
        do {
            // Only if it is still connected through this replica: after a fail-over another one holds it.
            try await pool.query(
                """
                UPDATE agents SET connected_hub = NULL, last_seen = greatest(last_seen, \(now))
                WHERE agent_id = \(Self.text(agentID)) AND connected_hub = \(hubID)
                """)
        } catch {
            throw Self.classify(error, as: .write, doing: "mark an agent disconnected")
        }
    }

    /// Marks the agents connected through this replica disconnected (at its start-up); other replicas' agents
    /// stay as they are.
    public func markAllDisconnected() async throws(StoreError) {
        do {
            try await pool.query(
                "UPDATE agents SET connected_hub = NULL WHERE connected_hub = \(hubID)")
        } catch {
            throw Self.classify(error, as: .write, doing: "reset agent connections")
        }
    }

    /// Days since 1970-01-01 UTC, now.
    func today() -> Int64 {
        Int64((Date().timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// `text` as PostgreSQL can store it: NUL (which it refuses in text) as U+FFFD.
    static func text(_ text: String) -> String {
        text.utf8.contains(0) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }

    /// Session settings every connection gets: an ack must follow a durable commit.
    static func prepare(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SET synchronous_commit = on", logger: logger)
    }

    static func tls(_ connection: Connection) throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch connection.target.sslMode {
        case .disable: return nil
        case .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let ca = connection.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        return tls
    }

    static func connectionConfiguration(_ connection: Connection) throws -> PostgresConnection.Configuration {
        let target = connection.target
        if target.isSocket {
            return PostgresConnection.Configuration(
                unixSocketPath: target.socketPath, username: target.user, password: connection.password,
                database: target.database)
        }
        let tls: PostgresConnection.Configuration.TLS =
            try Self.tls(connection).map {
                .require(try NIOSSLContext(configuration: $0))
            } ?? .disable
        return PostgresConnection.Configuration(
            host: target.host, port: target.port, username: target.user, password: connection.password,
            database: target.database, tls: tls)
    }

    /// The pool's settings. Besides `synchronous_commit`, each session tells the server to end it when it sits
    /// inside a transaction for longer than `timeout` without a statement, or idle for longer than four of the
    /// pool's keep-alive pings: a hub that gave up on a silent connection cannot tell the server, and a
    /// transaction left open there would hold its streams' row locks against every other replica.
    static func clientConfiguration(_ connection: Connection, timeout: Duration) throws -> PostgresClient.Configuration
    {
        let target = connection.target
        var configuration: PostgresClient.Configuration
        if target.isSocket {
            configuration = PostgresClient.Configuration(
                unixSocketPath: target.socketPath, username: target.user, password: connection.password,
                database: target.database)
        } else {
            configuration = PostgresClient.Configuration(
                host: target.host, port: target.port, username: target.user, password: connection.password,
                database: target.database, tls: try Self.tls(connection).map { .require($0) } ?? .disable)
        }
        configuration.options.maximumConnections = connection.poolSize
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        let keepAlive = configuration.options.keepAliveBehavior?.frequency ?? .seconds(30)
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"),
            ("idle_in_transaction_session_timeout", String(timeout.totalNanoseconds / 1_000_000)),
            ("idle_session_timeout", String((keepAlive * 4).totalNanoseconds / 1_000_000)),
        ]
        return configuration
    }

    /// Maps postgres-nio failures to a ``StoreError``: what failed and PostgreSQL's own message (which never
    /// holds our bind values), without the query text or any credential.
    static func classify(_ error: any Error, as code: StoreError.Code, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.beginError ?? error.closureError ?? error.commitError {
                return classify(inner, as: code, doing: what)
            }
        }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? "?"
                // 53100 disk_full; 53xxx insufficient resources.
                let full = state == "53100"
                return StoreError(
                    code: full ? .full : code,
                    message: "cannot \(what): PostgreSQL \(state): \(info[.message] ?? "error")")
            }
            switch error.code {
            case .poolClosed, .clientClosedConnection:
                return StoreError(code: .closed, message: "cannot \(what): the connection pool is closed")
            case .connectionError:
                return StoreError(
                    code: code,
                    message: "cannot \(what): cannot connect: \(error.underlying.map { "\($0)" } ?? "unknown")")
            default:
                return StoreError(code: code, message: "cannot \(what): \(error.code)")
            }
        }
        // The pool's own errors name the server already.
        if error is PostgresPool.Timeout || error is PostgresPool.Unreachable {
            return StoreError(code: code, message: "cannot \(what): \(error)")
        }
        if error is CancellationError {
            return StoreError(code: .closed, message: "cannot \(what): cancelled")
        }
        return StoreError(code: code, message: "cannot \(what): \(error)")
    }

    /// Whether `error` is one a retry of the same transaction may not hit: a deadlock between replicas or a
    /// serialisation failure.
    static func isRetryable(_ error: any Error) -> Bool {
        var error = error
        if let wrapped = error as? PostgresTransactionError, let inner = wrapped.closureError ?? wrapped.commitError {
            error = inner
        }
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }
}
