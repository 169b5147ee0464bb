import Foundation
import VigilAnalytics

// The rows the decision engine's and the alert evaluator's state are saved as, the same in every store: one
// JSON body per breaker, autoscaler and alert, with the key it is found by.

/// Where the alert evaluator saves its state and finds it again after a restart (or on a new leader).
public protocol AlertStateStore: Sendable {
    /// The saved alerts; rows that no longer decode are skipped (and counted in the second value).
    func loadAlerts() async throws(StoreError) -> (alerts: [ActiveAlert], unreadable: Int)
    /// Replaces the saved alerts with `alerts`, stamped `now` (Unix ns), in one transaction.
    func saveAlerts(_ alerts: [ActiveAlert], at now: Int64) async throws(StoreError)
}

/// ``DecisionState`` as `(kind, key, body)` rows.
enum DecisionStateRows {
    struct Row {
        var kind: String
        var key: String
        var body: String
    }

    private enum Kind: String {
        case breaker, autoscaler, feed
    }

    private struct Feed: Codable {
        var callWatermark: Int64?
    }

    static func encode(_ state: DecisionState) -> [Row] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func text(_ value: some Encodable) -> String? {
            (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
        }
        var rows: [Row] = []
        for breaker in state.breakers {
            guard let key = text([breaker.service, breaker.version, breaker.host]), let body = text(breaker) else {
                continue
            }
            rows.append(Row(kind: Kind.breaker.rawValue, key: key, body: body))
        }
        for autoscale in state.autoscalers {
            guard let body = text(autoscale) else { continue }
            rows.append(Row(kind: Kind.autoscaler.rawValue, key: autoscale.service, body: body))
        }
        if let body = text(Feed(callWatermark: state.callWatermark)) {
            rows.append(Row(kind: Kind.feed.rawValue, key: "", body: body))
        }
        return rows
    }

    /// The state in `(kind, body)` rows, and how many rows did not decode.
    static func decode(_ rows: [(kind: String, body: String)]) -> (state: DecisionState, unreadable: Int) {
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
}

/// ``ActiveAlert``s as rows.
enum AlertStateRows {
    struct Row {
        var fingerprint: String
        var rule: String
        var state: String
        var body: String
    }

    static func encode(_ alerts: [ActiveAlert]) -> [Row] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return alerts.compactMap { alert in
            guard let data = try? encoder.encode(alert) else { return nil }
            return Row(
                fingerprint: alert.fingerprint, rule: alert.rule, state: alert.state.rawValue,
                body: String(decoding: data, as: UTF8.self))
        }
    }

    static func decode(_ bodies: [String]) -> (alerts: [ActiveAlert], unreadable: Int) {
        let decoder = JSONDecoder()
        var alerts: [ActiveAlert] = []
        var unreadable = 0
        for body in bodies {
            if let alert = try? decoder.decode(ActiveAlert.self, from: Data(body.utf8)) {
                alerts.append(alert)
            } else {
                unreadable += 1
            }
        }
        return (alerts, unreadable)
    }
}
