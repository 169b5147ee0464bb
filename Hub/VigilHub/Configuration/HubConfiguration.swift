import VigilConfiguration

/// The hub's settings, read from `hub.yaml` (DESIGN §9). Every field but `tls` has a documented
/// default; unknown keys are errors (see ``HubConfiguration/load(path:)``).
public struct HubConfiguration: Sendable, Hashable {
    /// `listen`: where agents connect over mutual TLS. Default `0.0.0.0:7443`.
    public var listen = HostPort(host: "0.0.0.0", port: 7443)
    /// `admin`: the HTTP API, `/metrics` and dashboard. Default `127.0.0.1:7480` (loopback only).
    public var admin = HostPort(host: "127.0.0.1", port: 7480)
    /// `admin_auth`: who may use the admin address. Default none: the address is open, which only a loopback
    /// `admin` allows (anything else without `admin_auth` is a configuration error).
    public var adminAuth: AdminAuth?
    /// `admin_tls`: serve the admin address over HTTPS with this certificate and key. Default none (plain HTTP,
    /// right for loopback). Required by `admin_auth.client_ca`.
    public var adminTLS: AdminTLS?
    /// `hub_id`: the name this hub gives in `Welcome` and `/v1/status`. Default: the host name.
    public var hubID: String?
    /// `tls`: the CA that signs agent certificates and the hub's own certificate and key. Required.
    public var tls: TLSFiles
    /// `store`: where records are kept.
    public var store = Store()
    /// `limits`: bounds on frames, connections and batches.
    public var limits = Limits()
    /// `retention`: how long data is kept.
    public var retention = Retention()
    /// `evaluation_interval`: how often versions, breakers, autoscaling and alerts are evaluated.
    /// Default 10 s.
    public var evaluationInterval: Duration = .seconds(10)
    /// `judge`: the canary judge.
    public var judge = Judge()
    /// `autoscale`: the autoscale recommendation.
    public var autoscale = Autoscale()
    /// `breaker`: circuit-breaker thresholds.
    public var breaker = Breaker()
    /// `alerts`: rule files, webhooks and re-notification.
    public var alerts = Alerts()
    /// `authorization`: which services each agent may speak for, narrowing what its certificate allows
    /// (DESIGN §8). Default none: an agent may speak for whatever its certificate allows (everything, when the
    /// certificate names no service). Applied again, without a restart, when the configuration is reloaded.
    public var authorization: AuthorizationPolicy?

    /// A configuration with every default and the given TLS files.
    public init(tls: TLSFiles) {
        self.tls = tls
    }

    /// `tls`: the hub's PEM files (VigilConfiguration's, shared with the agent).
    public typealias TLSFiles = VigilConfiguration.TLSFiles

    /// `admin_auth`: bearer tokens from a file and/or client certificates from a CA. Every request to the admin
    /// address must present one of them once this is set, on loopback too.
    public struct AdminAuth: Sendable, Hashable {
        /// `admin_auth.tokens_file`: lines `NAME ROLE TOKEN` (``AdminRole``; `#` starts a comment). Read when the
        /// hub starts and again whenever the file changes; the tokens are never logged or shown.
        public var tokensFile: String?
        /// `admin_auth.client_ca`: a client certificate that chains to this CA is let in (needs `admin_tls`).
        public var clientCA: String?
        /// `admin_auth.client_role`: the role of a client certificate. Default `read`.
        public var clientRole = AdminRole.read

        /// No tokens and no CA (not valid on its own: one of them is required).
        public init() {}
    }

    /// What a token or certificate may do on the admin address.
    public enum AdminRole: String, Sendable, Hashable, CaseIterable, Comparable {
        /// Every page, table and `GET` endpoint.
        case read
        /// `read`, and the endpoints that change something (none in this version).
        case admin

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs == .read && rhs == .admin }
    }

    /// `admin_tls`: PEM files for HTTPS on the admin address.
    public struct AdminTLS: Sendable, Hashable {
        /// `admin_tls.cert`: the certificate chain the admin address presents.
        public var cert: String
        /// `admin_tls.key`: its private key.
        public var key: String

        /// Creates the pair of paths.
        public init(cert: String, key: String) {
            self.cert = cert
            self.key = key
        }
    }

    /// `store`: the database.
    public struct Store: Sendable, Hashable {
        /// `store.kind`.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// One embedded SQLite file (the default).
            case sqlite
            /// PostgreSQL, shared by several hub replicas (DESIGN §7).
            case postgres
        }

        /// `store.kind`: `sqlite` or `postgres`. Default `sqlite`.
        public var kind = Kind.sqlite
        /// `store.path`: the SQLite file. Default `/var/lib/vigil/hub.db`.
        public var path = "/var/lib/vigil/hub.db"
        /// `store.url`: the PostgreSQL server, user and database (required with `kind: postgres`), checked when
        /// the configuration loads. It carries no password.
        public var postgres: PostgresTarget?
        /// `store.password_file`: a file holding the PostgreSQL password (first line). Read when the hub starts;
        /// the password is never logged or shown.
        public var passwordFile: String?
        /// `store.ca`: the CA certificate(s) the PostgreSQL server's certificate must chain to (for
        /// `sslmode=verify-ca` and `verify-full`). Default: the system's trust store.
        public var ca: String?
        /// `store.pool`: PostgreSQL connections per hub. Default 8.
        public var pool = 8
        /// `store.timeout`: how long one PostgreSQL statement may go unanswered before the hub gives up on it
        /// and on its connection (nothing of it is acknowledged; agents send it again). Default 30 s.
        public var timeout = Duration.seconds(30)
        /// `store.durability`: what an `Ack` promises. Default `full`.
        public var durability = Durability.full

        /// `store.durability`.
        public enum Durability: String, Sendable, Hashable, CaseIterable {
            /// An `Ack` follows an fsync of the commit: acknowledged records survive a power loss or a kernel
            /// crash (`PRAGMA synchronous = FULL`: the WAL is synced at every commit).
            case full
            /// An `Ack` follows the commit's write, not its sync: acknowledged records survive a crash of the
            /// process, but **a power loss loses the last acknowledged commits, permanently** — the agents
            /// deleted them when they were acknowledged (`PRAGMA synchronous = NORMAL`).
            case normal
        }

        /// The defaults above.
        public init() {}
    }

    /// `limits`.
    public struct Limits: Sendable, Hashable {
        /// `limits.max_frame_bytes`: the largest frame accepted from an agent. Default 16 MiB.
        public var maxFrameBytes = 16_777_216
        /// `limits.max_connections`: agent connections served at once; more get `Reject(OVERLOADED)`.
        /// Default 10000.
        public var maxConnections = 10_000
        /// `limits.max_batch_records`: records in one `Batch`; more is a protocol error. Default 10000.
        public var maxBatchRecords = 10_000

        /// The defaults above.
        public init() {}
    }

    /// `retention`.
    public struct Retention: Sendable, Hashable {
        /// `retention.raw`: how long raw events and samples are kept. Default 90 days.
        public var raw: Duration = .seconds(90 * 86_400)
        /// `retention.rollups`: how long minute and hour rollups are kept. Default 365 days.
        public var rollups: Duration = .seconds(365 * 86_400)

        /// The defaults above.
        public init() {}
    }
}
