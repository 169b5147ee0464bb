import ArgumentParser
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension VigilCtl {
    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "versions",
            abstract: "Per-version comparison of a service with the canary verdict and its evidence."
        )

        @OptionGroup var hub: HubOptions

        @Argument(help: "The service.")
        var service: String

        @Option(help: "The span to compare over, e.g. 30m, 2h (default: the hub's judge.window).")
        var window: String?

        func run() async throws {
            var query = [URLQueryItem(name: "service", value: service)]
            if let window { query.append(URLQueryItem(name: "window", value: window)) }
            try await hub.run { client throws(HubClientError) in
                let raw = try await client.get("/v1/versions", query: query)
                if hub.json {
                    printRaw(raw)
                    return
                }
                print(Self.render(try decodeSnakeCase(VersionsBody.self, from: raw, path: "/v1/versions")))
            }
        }

        static func render(_ body: VersionsBody) -> String {
            var out: [String] = []
            let window = Format.duration(seconds: body.windowSeconds)
            out.append("service \(body.service), last \(window), baseline \(body.baseline ?? "-")")
            out.append("")
            var table = Table(
                headers: [
                    "VERSION", "EVENTS", "SHARE", "HOSTS", "RATE/S", "ERRORS", "P50 MS", "P95 MS", "P99 MS", "CPU",
                    "MEM", "QUEUE", "NPS", "VERDICT", "SCORE",
                ],
                rightAligned: Set(1...12).union([14]))
            for v in body.versions {
                table.rows.append([
                    v.version + (v.isBaseline ? " (baseline)" : ""), "\(v.events)", Format.percent(v.eventShare),
                    "\(v.hosts.count)", Format.number(v.eventRate), Format.percent(v.errorRate),
                    Format.number(v.latencyMs.p50), Format.number(v.latencyMs.p95), Format.number(v.latencyMs.p99),
                    Format.percent(v.cpuUtilization), Format.percent(v.memoryUtilization), Format.number(v.queueDepth),
                    v.nps.score.map { "\(Int($0.rounded())) (\(v.nps.responses))" } ?? "-",
                    v.verdict?.decision ?? (v.isBaseline ? "baseline" : "-"), Format.number(v.verdict?.score),
                ])
            }
            out.append(table.render())
            for v in body.versions {
                guard let verdict = v.verdict else { continue }
                out.append("")
                out.append("\(v.version) vs \(verdict.baseline): \(verdict.decision) — \(verdict.reason)")
                var evidence = Table(
                    headers: [
                        "METRIC", "N CANARY", "N BASE", "MEDIAN CANARY", "MEDIAN BASE", "MEAN RATIO", "SHIFT", "98% CI",
                        "RESULT",
                    ],
                    rightAligned: [1, 2, 3, 4, 5, 6])
                for e in verdict.evidence {
                    let ci = e.ciLower.map { "[\(Format.number($0)), \(Format.number(e.ciUpper))]" } ?? "-"
                    evidence.rows.append([
                        e.metric, "\(e.canaryN)", "\(e.baselineN)", Format.number(e.canaryMedian),
                        Format.number(e.baselineMedian), Format.number(e.meanRatio), Format.number(e.shift), ci,
                        e.classification + (e.criticalFailure ? " (critical)" : ""),
                    ])
                }
                out.append(evidence.render())
            }
            let categories = body.versions.filter { !$0.errorCategories.isEmpty }
            if !categories.isEmpty {
                out.append("")
                out.append("error categories (last 24 h vs the 24 h before)")
                var table = Table(
                    headers: ["VERSION", "CATEGORY", "LAST 24H", "SHARE", "PREVIOUS 24H", "TREND"],
                    rightAligned: [2, 3, 4])
                for v in categories {
                    for c in v.errorCategories {
                        table.rows.append([
                            v.version, c.category, "\(c.last24h)", Format.percent(c.share), "\(c.previous24h)", c.trend,
                        ])
                    }
                }
                out.append(table.render())
            }
            return out.joined(separator: "\n")
        }
    }
}
