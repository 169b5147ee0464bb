/// Vigil hub library, in the order data flows (DESIGN §5, §6, §7):
/// - Receiving/: agents' TLS connections, frames, handshakes.
/// - Storage/: the batch committer and the two stores, one folder per database (SQLite/, PostgreSQL/).
/// - Analysis/: rollup folding, decisions (verdicts, breakers, autoscaling) and alert rules, calling the pure
///   algorithms of VigilAnalytics.
/// - Reporting/: the HTTP API and `/metrics` (Admin/), webhook notifications (Notifying/).
/// - Configuration/ and HubRuntime, which wires the parts into one service group.
public enum VigilHubInfo {
    /// The hub version reported in `Welcome` and `/v1/status`.
    public static let version = "0.1.0"
}
