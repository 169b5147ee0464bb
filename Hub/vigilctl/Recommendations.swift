import ArgumentParser
import Foundation

extension VigilCtl {
    struct Recommendations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recommendations",
            abstract: "Canary, circuit-breaker, ejection and autoscaling recommendations with their reasons."
        )

        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await hub.run { client throws(HubClientError) in
                let raw = try await client.get("/v1/recommendations")
                if hub.json {
                    printRaw(raw)
                    return
                }
                let body = try decodeSnakeCase(RecommendationsBody.self, from: raw, path: "/v1/recommendations")
                print(Self.render(body))
            }
        }

        static func render(_ body: RecommendationsBody) -> String {
            guard let at = body.evaluatedAt else { return "no evaluation has run yet" }
            var lines = ["evaluation #\(body.evaluations) at \(at)"]
            if body.recommendations.isEmpty {
                lines.append("no recommendations")
                return lines.joined(separator: "\n")
            }
            var table = Table(headers: ["KIND", "SERVICE", "TARGET", "ACTION", "WHY"])
            for r in body.recommendations {
                let target = [r.version, r.host].compactMap { $0 }.joined(separator: " ")
                table.rows.append([r.kind, r.service, target.isEmpty ? "-" : target, r.action, r.reason])
            }
            lines.append(table.render())
            return lines.joined(separator: "\n")
        }
    }
}
