import Foundation
import Logging
import PostgresNIO
import VigilAnalytics

// The decision engine's and the alert evaluator's state in PostgreSQL (`decision_state`, `alert_state`), so
// whichever replica leads next resumes it. Each save replaces the whole set in one transaction: a reader (or a
// new leader) sees the previous evaluation's state or the new one, never a mix.

extension PostgresEventStore: DecisionStateStore, AlertStateStore {
    public func loadDecisionState() async throws(StoreError) -> (state: DecisionState, unreadable: Int) {
        let rows: [(String, String)]
        do {
            rows = try await bodies("SELECT kind, body FROM decision_state ORDER BY kind, key")
        } catch {
            throw Self.classify(error, as: .read, doing: "read the decision state")
        }
        return DecisionStateRows.decode(rows)
    }

    public func saveDecisionState(_ state: DecisionState, at now: Int64) async throws(StoreError) {
        let rows = DecisionStateRows.encode(state)
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("DELETE FROM decision_state", logger: logger)
                if rows.isEmpty { return }
                try await connection.query(
                    """
                    INSERT INTO decision_state (kind, key, body, updated)
                    SELECT k, key, b, \(now) FROM unnest(\(rows.map(\.kind))::text[], \(rows.map(\.key))::text[],
                                                          \(rows.map(\.body))::text[]) AS r(k, key, b)
                    """, logger: logger)
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the decision state")
        }
    }

    public func loadAlerts() async throws(StoreError) -> (alerts: [ActiveAlert], unreadable: Int) {
        let rows: [(String, String)]
        do {
            rows = try await bodies("SELECT fingerprint, body FROM alert_state ORDER BY fingerprint")
        } catch {
            throw Self.classify(error, as: .read, doing: "read the alert state")
        }
        return AlertStateRows.decode(rows.map(\.1))
    }

    public func saveAlerts(_ alerts: [ActiveAlert], at now: Int64) async throws(StoreError) {
        let rows = AlertStateRows.encode(alerts)
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("DELETE FROM alert_state", logger: logger)
                if rows.isEmpty { return }
                try await connection.query(
                    """
                    INSERT INTO alert_state (fingerprint, rule, state, body, updated)
                    SELECT f, r, s, b, \(now) FROM unnest(\(rows.map(\.fingerprint))::text[], \(rows.map(\.rule))::text[],
                                                           \(rows.map(\.state))::text[], \(rows.map(\.body))::text[])
                        AS a(f, r, s, b)
                    """, logger: logger)
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the alert state")
        }
    }

    private func bodies(_ query: PostgresQuery) async throws -> [(String, String)] {
        var rows: [(String, String)] = []
        for try await row in try await client.query(query, logger: logger).decode((String, String).self) {
            rows.append(row)
        }
        return rows
    }
}
