import Foundation

/// Renders a ``StatusReport`` in the Prometheus text exposition format (version 0.0.4): a `# HELP`
/// and `# TYPE` line per metric, counters ending in `_total`. Pure.
public enum PrometheusText {
    /// The exposition text.
    public static func render(_ status: StatusReport) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out +=
                    sample.labels.isEmpty ? "\(name) \(sample.value)\n" : "\(name){\(sample.labels)} \(sample.value)\n"
            }
        }
        func one(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible) {
            metric(name, type, help, [("", "\(value)")])
        }
        metric(
            "vigil_hub_info", "gauge", "The hub's version and id.",
            [("version=\"\(escape(status.hubVersion))\",hub_id=\"\(escape(status.hubID))\"", "1")])
        one("vigil_hub_uptime_seconds", "gauge", "Seconds since the hub started.", status.uptimeSeconds)
        let totals = status.totals
        one("vigil_hub_records_total", "counter", "Records (events and samples) stored.", totals.records)
        one("vigil_hub_events_total", "counter", "Events stored.", totals.events)
        one("vigil_hub_samples_total", "counter", "Samples stored.", totals.samples)
        one("vigil_hub_duplicates_total", "counter", "Duplicate records skipped (seq or event id).", totals.duplicates)
        one("vigil_hub_gaps_total", "counter", "Batches that started after a gap in their stream.", totals.gaps)
        one(
            "vigil_hub_missing_records_total", "counter", "Seqs that never arrived, over all gaps.",
            totals.missingRecords)
        one(
            "vigil_hub_retention_deleted_total", "counter", "Raw records deleted by retention since start.",
            totals.retentionDeleted)
        metric(
            "vigil_hub_rejects_total", "counter", "Reject frames sent to agents since start, by code.",
            status.rejects.sorted { $0.key < $1.key }.map { ("code=\"\(escape($0.key))\"", "\($0.value)") })
        metric(
            "vigil_hub_tls_handshake_failures_total", "counter", "TLS handshakes that failed since start, by reason.",
            status.tlsHandshakeFailuresByReason.sorted { $0.key < $1.key }.map {
                ("reason=\"\(escape($0.key))\"", "\($0.value)")
            })
        metric(
            "vigil_hub_records_refused_total", "counter",
            "Records not stored because the agent may not speak for their service, by agent and reason.",
            status.authorization.refusedByAgent.sorted { $0.key < $1.key }.flatMap { agent, reasons in
                reasons.sorted { $0.key < $1.key }.map {
                    ("agent=\"\(escape(agent))\",reason=\"\(escape($0.key))\"", "\($0.value)")
                }
            })
        one("vigil_hub_agents_connected", "gauge", "Agents with an open stream.", status.agentsConnected)
        one("vigil_hub_agents", "gauge", "Agents ever seen.", totals.agents)
        one("vigil_hub_connections_open", "gauge", "Agent connections open.", status.connections.open)
        one(
            "vigil_hub_connections_accepted_total", "counter", "Agent connections accepted since start.",
            status.connections.accepted)
        one(
            "vigil_hub_batches_received_total", "counter", "Batches received since start.",
            status.connections.batchesReceived)
        one(
            "vigil_hub_records_received_total", "counter", "Records received since start, before dedupe.",
            status.connections.recordsReceived)
        one(
            "vigil_hub_commits_total", "counter", "Store transactions committed since start.",
            status.connections.commits)
        one(
            "vigil_hub_commit_failures_total", "counter", "Store transactions that failed since start.",
            status.connections.commitFailures)
        one(
            "vigil_hub_ingest_records_per_second", "gauge", "Records stored per second over the last 10 s.",
            status.ingest.recordsPerSecond)
        one("vigil_hub_commit_queue_records", "gauge", "Records waiting to be committed.", status.ingest.queuedRecords)
        let alerting = status.alerting
        one("vigil_hub_alert_rules", "gauge", "Alert rules loaded.", alerting.rules)
        metric(
            "vigil_hub_alerts", "gauge", "Alerts by state.",
            [("state=\"firing\"", "\(alerting.firing)"), ("state=\"pending\"", "\(alerting.pending)")])
        one("vigil_hub_alert_evaluations_total", "counter", "Alert evaluations since start.", alerting.evaluations)
        let notes = alerting.notifications
        one("vigil_hub_webhook_sent_total", "counter", "Webhook deliveries answered 2xx.", notes.sent)
        one("vigil_hub_webhook_failed_total", "counter", "Webhook deliveries given up.", notes.failed)
        one("vigil_hub_webhook_retried_total", "counter", "Webhook delivery attempts repeated.", notes.retried)
        one("vigil_hub_webhook_dropped_total", "counter", "Notifications dropped (queue full).", notes.dropped)
        one("vigil_hub_webhook_queued", "gauge", "Notifications waiting to be delivered.", notes.queued)
        return out
    }

    /// Escapes a label value: backslash, double quote and newline.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
