import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension VigilCtl {
    struct Agents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agents",
            abstract:
                "Agents: labels, connection, last seen, lag, records, duplicates, gaps, and records refused because "
                + "the agent may not speak for their service."
        )

        @OptionGroup var hub: HubOptions

        @Option(help: "Only agents that are connected (true) or not (false).")
        var connected: Bool?

        @Option(help: "Only agents whose service label is this.")
        var service: String?

        func run() async throws {
            var query: [URLQueryItem] = []
            if let connected { query.append(URLQueryItem(name: "connected", value: connected ? "true" : "false")) }
            if let service { query.append(URLQueryItem(name: "service", value: service)) }
            try await hub.run { client throws(HubClientError) in
                let (body, raw) = try await client.get("/v1/agents", as: AgentsBody.self, query: query)
                if hub.json {
                    printRaw(raw)
                } else if body.agents.isEmpty {
                    print("no agents")
                } else {
                    print(Self.table(body).render())
                }
            }
        }

        static func table(_ body: AgentsBody) -> Table {
            var table = Table(
                headers: [
                    "ID", "HOST", "SERVICE", "VERSION", "CONNECTED", "LAST SEEN", "LAG", "BACKLOG", "RECORDS",
                    "DUPLICATES", "GAPS", "REFUSED",
                ],
                rightAligned: [6, 7, 8, 9, 10])
            for agent in body.agents {
                table.rows.append([
                    agent.id, agent.hostname, agent.labels["service"] ?? "-", agent.labels["version"] ?? "-",
                    agent.connected ? "yes" : "no", agent.last_seen,
                    agent.lag_seconds.map { Format.duration(seconds: $0) } ?? "-",
                    agent.backlog_records.map { "\($0)" } ?? "-", "\(agent.records)",
                    "\(agent.duplicates)", "\(agent.gaps)", Self.refused(agent),
                ])
            }
            return table
        }

        /// `0`, or the count with its reasons and last service: `1204 (certificate 1204; last payments)`.
        static func refused(_ agent: AgentsBody.Agent) -> String {
            guard let refused = agent.refused, refused > 0 else { return "0" }
            let reasons = (agent.refused_by_reason ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            let last = agent.last_refused_service.map { "; last \($0)" } ?? ""
            return "\(refused) (\(reasons.joined(separator: ", "))\(last))"
        }
    }
}
