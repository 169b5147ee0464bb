import Foundation
import GRDB
import VigilAnalytics

// SQLiteEventStore+Alerts: persists the alert evaluator's state (table `alert_state`, migration
// `v2-alert-state`) as AlertStateRows. Each save replaces the whole set in one transaction, so a crash leaves
// either the previous evaluation's state or the new one, never a mix.

extension SQLiteEventStore: AlertStateStore {
    public func loadAlerts() async throws(StoreError) -> (alerts: [ActiveAlert], unreadable: Int) {
        do {
            let bodies = try await pool.read { db in
                try String.fetchAll(db, sql: "SELECT body FROM alert_state ORDER BY fingerprint")
            }
            return AlertStateRows.decode(bodies)
        } catch {
            throw Self.classify(error, as: .read, doing: "read the alert state")
        }
    }

    public func saveAlerts(_ alerts: [ActiveAlert], at now: Int64) async throws(StoreError) {
        let rows = AlertStateRows.encode(alerts)
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM alert_state")
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO alert_state (fingerprint, rule, state, body, updated) VALUES (?, ?, ?, ?, ?)",
                        arguments: [row.fingerprint, row.rule, row.state, row.body, now])
                }
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the alert state")
        }
    }
}
