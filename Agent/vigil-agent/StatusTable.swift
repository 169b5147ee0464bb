import Foundation
import VigilAgent

/// Renders an ``AgentStatus`` as the two-column table `vigil-agent status` prints.
enum StatusTable {
    static func render(_ s: AgentStatus, nowUnixNano: Int64) -> String {
        let age = Double(nowUnixNano - s.updatedUnixNano) / 1e9
        let running = age < 5 ? "running (pid \(s.pid))" : "not running? last update \(Int(age)) s ago (pid \(s.pid))"
        let lastAck =
            s.shipper.lastAckUnixNano.map {
                "seq \(s.shipper.lastAckSeq), \(String(format: "%.1f", Double(nowUnixNano - $0) / 1e9)) s ago"
            } ?? "never"
        let rejected =
            s.ingest.rejected.isEmpty
            ? "0" : s.ingest.rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let rejects =
            s.shipper.rejects.isEmpty
            ? "0" : s.shipper.rejects.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let rows: [(String, String)] = [
            ("agent", "\(s.agentID)  \(running)"),
            ("stream", s.streamID),
            (
                "hub",
                s.shipper.connectedEndpoint.map { "connected to \($0)" } ?? "disconnected"
                    + (s.shipper.lastError.map { " (\($0))" } ?? "")
            ),
            ("last ack", lastAck),
            ("backlog", "\(s.buffer.records) records, \(s.buffer.bytes) of \(s.buffer.maxBytes) bytes"),
            ("next seq", "\(s.buffer.nextSeq)"),
            ("ingest rate", String(format: "%.0f records/s", s.ingestRate)),
            ("ship rate", String(format: "%.0f records/s", s.shipRate)),
            (
                "ingest",
                "received \(s.ingest.received), durable \(s.ingest.durable), connections \(s.ingest.connections)"
            ),
            ("ingest rejected", rejected),
            ("buffer totals", "accepted \(s.buffer.counters.accepted), shipped \(s.buffer.counters.shipped)"),
            ("dropped", "\(s.buffer.counters.dropped) (drop_oldest)"),
            ("refused at cap", "\(s.buffer.counters.rejectedFull)"),
            ("write failures", "\(s.buffer.counters.writeFailures)"),
            ("corrupt restarts", "\(s.buffer.counters.corruptRecoveries)"),
            ("hub rejects", rejects),
            ("may speak for", s.shipper.certificateServices + " (certificate)"),
            ("refused by hub", "\(s.shipper.recordsRefusedByHub) (authorization policy; acknowledged, not resent)"),
            ("connection failures", "\(s.shipper.connectionFailures)"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(
            separator: "\n")
    }
}
