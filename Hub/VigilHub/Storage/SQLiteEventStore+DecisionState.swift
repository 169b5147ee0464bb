import Foundation
import GRDB
import VigilAnalytics

// SQLiteEventStore+DecisionState: persists the decision engine's state (table `decision_state`, migration
// `v5-decision-state`): one row per breaker and per autoscaler, and one for the breakers' call watermark.
// Each save replaces the whole set in one transaction, so a crash leaves either the previous evaluation's
// state or the new one, never a mix.

extension SQLiteEventStore: DecisionStateStore {
    private enum Kind: String {
        case breaker, autoscaler, feed
    }

    private struct Feed: Codable {
        var callWatermark: Int64?
    }

    /// The saved decision state; rows that no longer decode are skipped (and counted in the second value).
    public func loadDecisionState() async throws(StoreError) -> (state: DecisionState, unreadable: Int) {
        let rows: [(String, String)]
        do {
            rows = try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT kind, body FROM decision_state ORDER BY kind, key").map {
                    ($0["kind"], $0["body"])
                }
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the decision state")
        }
        let decoder = JSONDecoder()
        var state = DecisionState()
        var unreadable = 0
        for (kind, body) in rows {
            let data = Data(body.utf8)
            switch Kind(rawValue: kind) {
            case .breaker:
                if let breaker = try? decoder.decode(DecisionState.Breaker.self, from: data) {
                    state.breakers.append(breaker)
                } else {
                    unreadable += 1
                }
            case .autoscaler:
                if let autoscale = try? decoder.decode(DecisionState.Autoscale.self, from: data) {
                    state.autoscalers.append(autoscale)
                } else {
                    unreadable += 1
                }
            case .feed:
                if let feed = try? decoder.decode(Feed.self, from: data) {
                    state.callWatermark = feed.callWatermark
                } else {
                    unreadable += 1
                }
            case nil:
                unreadable += 1
            }
        }
        return (state, unreadable)
    }

    /// Replaces the saved decision state with `state`, stamped `now` (Unix ns).
    public func saveDecisionState(_ state: DecisionState, at now: Int64) async throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func text(_ value: some Encodable) -> String? {
            (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
        }
        var encoded: [(Kind, String, String)] = []
        for breaker in state.breakers {
            guard let key = text([breaker.service, breaker.version, breaker.host]), let body = text(breaker) else {
                continue
            }
            encoded.append((.breaker, key, body))
        }
        for autoscale in state.autoscalers {
            guard let body = text(autoscale) else { continue }
            encoded.append((.autoscaler, autoscale.service, body))
        }
        if let body = text(Feed(callWatermark: state.callWatermark)) { encoded.append((.feed, "", body)) }
        let rows = encoded
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM decision_state")
                for row in rows {
                    try db.execute(
                        sql: "INSERT INTO decision_state (kind, key, body, updated) VALUES (?, ?, ?, ?)",
                        arguments: [row.0.rawValue, row.1, row.2, now])
                }
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "save the decision state")
        }
    }
}
