import Foundation
import GRDB
import VigilAnalytics

// SQLiteEventStore+Alerts: persists the alert evaluator's state (table `alert_state`, migration
// `v2-alert-state`). Each save replaces the whole set in one transaction, so a crash leaves either the
// previous evaluation's state or the new one, never a mix.

extension SQLiteEventStore {
    /// The saved alerts; rows that no longer decode are skipped (and counted in the second value).
    public func loadAlerts() async throws(StoreError) -> (alerts: [ActiveAlert], unreadable: Int) {
        let rows: [String]
        do {
            rows = try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT body FROM alert_state ORDER BY fingerprint")
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the alert state")
        }
        let decoder = JSONDecoder()
        var alerts: [ActiveAlert] = []
        var unreadable = 0
        for row in rows {
            if let alert = try? decoder.decode(ActiveAlert.self, from: Data(row.utf8)) {
                alerts.append(alert)
            } else {
                unreadable += 1
            }
        }
        return (alerts, unreadable)
    }

    /// Replaces the saved alerts with `alerts`, stamped `now` (Unix ns).
    public func saveAlerts(_ alerts: [ActiveAlert], at now: Int64) async throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var encoded: [(String, String, String, String)] = []
        for alert in alerts {
            guard let data = try? encoder.encode(alert) else { continue }
            encoded.append((alert.fingerprint, alert.rule, alert.state.rawValue, String(decoding: data, as: UTF8.self)))
        }
        let rows = encoded
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM alert_state")
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO alert_state (fingerprint, rule, state, body, updated) VALUES (?, ?, ?, ?, ?)",
                        arguments: [row.0, row.1, row.2, row.3, now])
                }
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the alert state")
        }
    }
}
