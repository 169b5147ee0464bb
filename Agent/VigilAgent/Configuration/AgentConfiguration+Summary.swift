import VigilConfiguration
import VigilProtocol

extension AgentConfiguration {
    /// The effective settings, one `key.path: value` per line with defaults filled in, for
    /// `vigil-agent check-config`. Shows the TLS file paths only, never their contents.
    public func renderedSummary() -> String {
        func list(_ items: [String]) -> String {
            items.isEmpty ? "[]" : "[" + items.joined(separator: ", ") + "]"
        }
        let labelText = labels.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(QuotedText.quote($0.value))" }
        let lines: [(String, String)] = [
            ("agent_id", agentID),
            ("labels", labelText.isEmpty ? "{}" : labelText.joined(separator: ", ")),
            ("endpoints", list(endpoints.map(\.description))),
            ("tls.ca", tls.ca),
            ("tls.cert", tls.cert),
            ("tls.key", tls.key + " (contents not shown)"),
            ("ingest.socket", ingest.socket),
            ("ingest.mode", ConfigurationValue.render(mode: ingest.mode)),
            ("ingest.max_frame_bytes", ConfigurationValue.render(bytes: ingest.maxFrameBytes)),
            ("ingest.max_line_bytes", ConfigurationValue.render(bytes: ingest.maxLineBytes)),
            ("buffer.path", buffer.path),
            ("buffer.max_bytes", ConfigurationValue.render(bytes: buffer.maxBytes)),
            ("buffer.when_full", buffer.whenFull.rawValue),
            ("buffer.durability", buffer.durability.rawValue),
            ("sampling.interval", ConfigurationValue.render(sampling.interval)),
            ("sampling.mounts", list(sampling.mounts)),
            ("sampling.devices", sampling.devices.isEmpty ? "[] (all whole disks)" : list(sampling.devices)),
            ("sampling.listen_ports", list(sampling.listenPorts.map(String.init))),
            ("shipping.max_batch_records", String(shipping.maxBatchRecords)),
            ("shipping.max_batch_bytes", ConfigurationValue.render(bytes: shipping.maxBatchBytes)),
            ("shipping.max_in_flight", String(shipping.maxInFlight)),
            ("shipping.backoff_base", ConfigurationValue.render(shipping.backoffBase)),
            ("shipping.backoff_cap", ConfigurationValue.render(shipping.backoffCap)),
            ("shutdown.drain_timeout", ConfigurationValue.render(shutdown.drainTimeout)),
        ]
        return lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
    }
}
