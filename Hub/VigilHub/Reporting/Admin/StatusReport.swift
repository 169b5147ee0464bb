/// The body of `GET /v1/status`: what the hub is, how long it has run, and what it has received,
/// stored and turned away. Keys are snake_case; `vigilctl status --json` prints it unchanged.
public struct StatusReport: Sendable, Hashable, Codable {
    /// Where records are kept.
    public struct Store: Sendable, Hashable, Codable {
        /// `sqlite` or `postgres`.
        public var kind: String
        /// The file or connection target.
        public var path: String
    }

    /// Ingest figures over the recent past.
    public struct Ingest: Sendable, Hashable, Codable {
        /// Records newly stored per second, averaged over `window_seconds`.
        public var recordsPerSecond: Double
        /// The averaging window.
        public var windowSeconds: Int
        /// Records waiting in the commit queue.
        public var queuedRecords: Int

        enum CodingKeys: String, CodingKey {
            case recordsPerSecond = "records_per_second"
            case windowSeconds = "window_seconds"
            case queuedRecords = "queued_records"
        }
    }

    /// Cumulative counts (all time, from the store).
    public struct Totals: Sendable, Hashable, Codable {
        /// Events and samples stored.
        public var records: UInt64
        /// Events stored.
        public var events: UInt64
        /// Samples stored.
        public var samples: UInt64
        /// Duplicates skipped, both kinds.
        public var duplicates: UInt64
        /// Records skipped because their seq was already stored.
        public var duplicateSeqs: UInt64
        /// Events skipped because the same event was already stored.
        public var duplicateEvents: UInt64
        /// Batches that started after a gap.
        public var gaps: UInt64
        /// Seqs that never arrived.
        public var missingRecords: UInt64
        /// Agents ever seen.
        public var agents: UInt64
        /// Streams ever seen.
        public var streams: UInt64
        /// Raw records deleted by retention since start.
        public var retentionDeleted: UInt64

        enum CodingKeys: String, CodingKey {
            case records, events, samples, duplicates, gaps, agents, streams
            case duplicateSeqs = "duplicate_seqs"
            case duplicateEvents = "duplicate_events"
            case missingRecords = "missing_records"
            case retentionDeleted = "retention_deleted"
        }
    }

    /// Connection figures since start.
    public struct Connections: Sendable, Hashable, Codable {
        /// Open now.
        public var open: Int
        /// Accepted since start.
        public var accepted: UInt64
        /// Batches received since start.
        public var batchesReceived: UInt64
        /// Records received since start (before dedupe).
        public var recordsReceived: UInt64
        /// Transactions committed since start.
        public var commits: UInt64
        /// Transactions that failed since start.
        public var commitFailures: UInt64

        enum CodingKeys: String, CodingKey {
            case open, accepted, commits
            case batchesReceived = "batches_received"
            case recordsReceived = "records_received"
            case commitFailures = "commit_failures"
        }
    }

    /// Alert rules, alert counts and webhook deliveries.
    public struct Alerting: Sendable, Hashable, Codable {
        /// Rules loaded.
        public var rules: Int
        /// Alerts firing now (inhibited ones included).
        public var firing: Int
        /// Alerts pending now.
        public var pending: Int
        /// Evaluations run since start.
        public var evaluations: UInt64
        /// Alert-state saves that failed since start.
        public var saveFailures: UInt64
        /// Webhook deliveries since start.
        public var notifications: NotifierCounters.Snapshot

        enum CodingKeys: String, CodingKey {
            case rules, firing, pending, evaluations, notifications
            case saveFailures = "save_failures"
        }
    }

    /// One hub replica on the shared PostgreSQL store, from its heartbeat row.
    public struct Replica: Sendable, Hashable, Codable {
        /// Its `hub_id`.
        public var hubID: String
        /// Its agent listener and admin API, as configured.
        public var listen: String
        /// Its admin API, as configured.
        public var admin: String
        /// When it started (Unix ns).
        public var startedUnixNano: Int64
        /// Seconds since its last heartbeat.
        public var lastBeatSecondsAgo: Double
        /// Whether it beat recently (within three tries of the leader lock).
        public var alive: Bool
        /// Whether it leads the evaluations (only ever one alive replica).
        public var leader: Bool

        enum CodingKeys: String, CodingKey {
            case listen, admin, alive, leader
            case hubID = "hub_id"
            case startedUnixNano = "started_unix_nano"
            case lastBeatSecondsAgo = "last_beat_seconds_ago"
        }
    }

    /// The `authorization` section: the policy in force, its reloads, and the records refused.
    public struct Authorization: Sendable, Hashable, Codable {
        /// `policy` when hub.yaml has `authorization`, else `certificates only` (each agent may speak for what
        /// its certificate's `vigil:service:` names allow; everything when it names none).
        public var mode = "certificates only"
        /// The policy in one line (`default deny; checkout-* → [checkout]`), or null without one.
        public var policy: String?
        /// Records refused, by reason (every reason present, 0 included).
        public var refusedByReason: [String: UInt64] = [:]
        /// Records refused, by agent and reason (agents with none left out).
        public var refusedByAgent: [String: [String: UInt64]] = [:]
        /// Configuration reloads applied since start.
        public var reloads: UInt64 = 0
        /// Reloads whose file did not load.
        public var reloadFailures: UInt64 = 0
        /// Why the last reload failed; null when it did not.
        public var lastReloadError: String?
        /// Keys changed in the file that apply only after a restart.
        public var needsRestart: [String] = []

        /// Nothing configured, nothing refused.
        public init() {}

        enum CodingKeys: String, CodingKey {
            case mode, policy, reloads
            case refusedByReason = "refused_by_reason"
            case refusedByAgent = "refused_by_agent"
            case reloadFailures = "reload_failures"
            case lastReloadError = "last_reload_error"
            case needsRestart = "needs_restart"
        }
    }

    /// The hub software version.
    public var hubVersion: String
    /// The hub's name.
    public var hubID: String
    /// Seconds since the hub started.
    public var uptimeSeconds: Double
    /// The store.
    public var store: Store
    /// Recent ingest.
    public var ingest: Ingest
    /// Cumulative counts.
    public var totals: Totals
    /// `Reject`s sent since start, by code (every code present, 0 included).
    public var rejects: [String: UInt64]
    /// Failed TLS handshakes since start.
    public var tlsHandshakeFailures: UInt64
    /// The same, by reason (every ``HandshakeFailure`` label present, 0 included).
    public var tlsHandshakeFailuresByReason: [String: UInt64]
    /// Agents with an open stream now.
    public var agentsConnected: Int
    /// Connections and commits since start.
    public var connections: Connections
    /// The replicas sharing the store (PostgreSQL only; absent with SQLite).
    public var replicas: [Replica]?
    /// What agents may speak for, and what was refused.
    public var authorization = Authorization()
    /// Alerting figures (zero when no alert manager runs).
    public var alerting = Alerting(
        rules: 0, firing: 0, pending: 0, evaluations: 0, saveFailures: 0, notifications: .init())

    enum CodingKeys: String, CodingKey {
        case store, ingest, totals, rejects, connections, alerting, replicas, authorization
        case hubVersion = "hub_version"
        case hubID = "hub_id"
        case uptimeSeconds = "uptime_seconds"
        case tlsHandshakeFailures = "tls_handshake_failures"
        case tlsHandshakeFailuresByReason = "tls_handshake_failures_by_reason"
        case agentsConnected = "agents_connected"
    }
}
