import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension VigilCtl {
    struct Alerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alerts",
            abstract: "Firing, pending and recently resolved alerts."
        )

        @OptionGroup var hub: HubOptions

        @Option(help: "Only alerts in this state: pending, firing or resolved.")
        var state: String?

        @Option(help: "Only alerts of this severity: warning or critical.")
        var severity: String?

        @Option(help: "Only alerts of this rule.")
        var rule: String?

        func run() async throws {
            var query: [URLQueryItem] = []
            if let state { query.append(URLQueryItem(name: "state", value: state)) }
            if let severity { query.append(URLQueryItem(name: "severity", value: severity)) }
            if let rule { query.append(URLQueryItem(name: "rule", value: rule)) }
            try await hub.run { client throws(HubClientError) in
                let (body, raw) = try await client.get("/v1/alerts", as: AlertsBody.self, query: query)
                if hub.json {
                    printRaw(raw)
                } else if body.alerts.isEmpty {
                    print("no alerts (\(body.rules) rules loaded)")
                } else {
                    print(Self.table(body, now: Date()).render())
                }
            }
        }

        static func table(_ body: AlertsBody, now: Date) -> Table {
            var table = Table(
                headers: ["STATE", "SEVERITY", "RULE", "LABELS", "VALUE", "THRESHOLD", "SINCE", "SUMMARY"],
                rightAligned: [4, 5, 6])
            for alert in body.alerts {
                var labels = alert.labels
                labels["alertname"] = nil
                labels["severity"] = nil
                let since = ISO8601DateFormatter().date(from: alert.active_at).map {
                    Format.duration(seconds: now.timeIntervalSince($0))
                }
                table.rows.append([
                    alert.state + (alert.inhibited ? " (inhibited)" : ""), alert.severity, alert.rule,
                    labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                    Self.number(alert.value), Self.number(alert.threshold), since ?? "-",
                    alert.annotations["summary"] ?? "",
                ])
            }
            return table
        }

        static func number(_ value: Double) -> String {
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(format: "%.4g", value)
        }
    }
}

struct AlertsBody: Decodable {
    struct Alert: Decodable {
        var rule: String
        var severity: String
        var state: String
        var inhibited: Bool
        var labels: [String: String]
        var annotations: [String: String]
        var value: Double
        var threshold: Double
        var active_at: String
    }

    var rules: Int
    var alerts: [Alert]
}
