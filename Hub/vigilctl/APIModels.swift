/// The parts of the admin API's JSON that `vigilctl` shows in tables (DESIGN §6). `--json` bypasses
/// these and prints the body unchanged.
struct StatusBody: Decodable {
    struct Store: Decodable {
        var kind: String
        var path: String
    }

    struct Ingest: Decodable {
        var records_per_second: Double
        var window_seconds: Int
        var queued_records: Int
    }

    struct Totals: Decodable {
        var records: UInt64
        var events: UInt64
        var samples: UInt64
        var duplicates: UInt64
        var duplicate_seqs: UInt64
        var duplicate_events: UInt64
        var gaps: UInt64
        var missing_records: UInt64
        var agents: UInt64
        var streams: UInt64
    }

    struct Connections: Decodable {
        var open: Int
        var accepted: UInt64
    }

    var hub_version: String
    var hub_id: String
    var uptime_seconds: Double
    var store: Store
    var ingest: Ingest
    var totals: Totals
    var rejects: [String: UInt64]
    var tls_handshake_failures: UInt64
    var tls_handshake_failures_by_reason: [String: UInt64]?
    var agents_connected: Int
    var connections: Connections
    var replicas: [Replica]?

    struct Replica: Decodable {
        var hub_id: String
        var listen: String
        var last_beat_seconds_ago: Double
        var alive: Bool
        var leader: Bool
    }
}

struct AgentsBody: Decodable {
    struct Agent: Decodable {
        var id: String
        var hostname: String
        var labels: [String: String]
        var connected: Bool
        var last_seen: String
        var lag_seconds: Double?
        var records: UInt64
        var duplicates: UInt64
        var gaps: UInt64
        var refused: UInt64?
        var refused_by_reason: [String: UInt64]?
        var last_refused_service: String?
        var backlog_records: UInt64?
    }

    var agents: [Agent]
}
