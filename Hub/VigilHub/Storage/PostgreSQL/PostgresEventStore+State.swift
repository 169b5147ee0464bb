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
            try await pool.withTransaction { [logger] connection in
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
            try await pool.withTransaction { [logger] connection in
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

    /// Saves the leader's last recommendations, for the replicas that do not lead; `evaluated` is the instant
    /// they were evaluated at (Unix nanoseconds), kept as the row's `updated`.
    public func saveRecommendations(_ report: RecommendationsReport, at evaluated: Int64) async throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let data = try? encoder.encode(report) else {
            throw StoreError(code: .write, message: "cannot encode the recommendations")
        }
        let body = String(decoding: data, as: UTF8.self)
        do {
            try await pool.query(
                """
                INSERT INTO evaluation_results (kind, body, updated) VALUES ('recommendations', \(body), \(evaluated))
                ON CONFLICT (kind) DO UPDATE SET body = excluded.body, updated = excluded.updated
                """)
        } catch {
            throw Self.classify(error, as: .write, doing: "save the recommendations")
        }
    }

    /// The leader's last recommendations, or `nil` before its first evaluation.
    public func loadRecommendations() async throws(StoreError) -> RecommendationsReport? {
        let rows: [(String, String)]
        do {
            rows = try await bodies("SELECT kind, body FROM evaluation_results WHERE kind = 'recommendations'")
        } catch {
            throw Self.classify(error, as: .read, doing: "read the recommendations")
        }
        guard let body = rows.first?.1 else { return nil }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try? decoder.decode(RecommendationsReport.self, from: Data(body.utf8))
    }

    /// The replicas' heartbeat rows, by hub id; a replica is alive when it beat within `stale` of `now`.
    public func replicas(now: Int64, stale: Duration) async throws(StoreError) -> [StatusReport.Replica] {
        do {
            let rows = try await pool.query(
                "SELECT hub_id, listen, admin, started, last_beat, leader FROM replicas ORDER BY hub_id")
            var replicas: [StatusReport.Replica] = []
            for (hub, listen, admin, started, beat, leader) in try rows.decode(
                (String, String, String, Int64, Int64, Bool).self)
            {
                let ago = Double(max(0, now - beat)) / 1e9
                let alive = now - beat <= stale.totalNanoseconds
                replicas.append(
                    StatusReport.Replica(
                        hubID: hub, listen: listen, admin: admin, startedUnixNano: started, lastBeatSecondsAgo: ago,
                        alive: alive, leader: alive && leader))
            }
            return replicas
        } catch {
            throw Self.classify(error, as: .read, doing: "list the replicas")
        }
    }

    private func bodies(_ query: PostgresQuery) async throws -> [(String, String)] {
        var rows: [(String, String)] = []
        for row in try await pool.query(query).decode((String, String).self) {
            rows.append(row)
        }
        return rows
    }
}
