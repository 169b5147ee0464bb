import Foundation
import GRDB
import VigilAnalytics

// SQLiteEventStore+DecisionState: persists the decision engine's state (table `decision_state`, migration
// `v5-decision-state`) as DecisionStateRows. Each save replaces the whole set in one transaction, so a crash
// leaves either the previous evaluation's state or the new one, never a mix.

extension SQLiteEventStore: DecisionStateStore {
    public func loadDecisionState() async throws(StoreError) -> (state: DecisionState, unreadable: Int) {
        do {
            let rows = try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT kind, body FROM decision_state ORDER BY kind, key").map {
                    (kind: $0["kind"] as String, body: $0["body"] as String)
                }
            }
            return DecisionStateRows.decode(rows)
        } catch {
            throw Self.classify(error, as: .read, doing: "read the decision state")
        }
    }

    public func saveDecisionState(_ state: DecisionState, at now: Int64) async throws(StoreError) {
        let rows = DecisionStateRows.encode(state)
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM decision_state")
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO decision_state (kind, key, body, updated) VALUES (?, ?, ?, ?)",
                        arguments: [row.kind, row.key, row.body, now])
                }
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the decision state")
        }
    }
}
