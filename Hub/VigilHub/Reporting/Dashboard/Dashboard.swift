import Foundation
import Synchronization
import VigilAnalytics
import VigilConfiguration

// Dashboard: builds the pages of the web dashboard (issue #15) from the same sources the JSON API reads —
// HubReporter for status, agents and alerts, DecisionEngine for `/v1/versions`, SeriesReader for `/v1/series`,
// the last evaluation for recommendations — so a page shows exactly the API's numbers.

/// The dashboard's pages.
struct Dashboard: Sendable {
    let reporter: HubReporter
    let engine: DecisionEngine?
    let series: SeriesReader?
    let recommendations: @Sendable () async -> RecommendationsReport
    /// The picker's list, read at most every ``ServiceList/refresh``: a scan of a day of rollups is not worth
    /// repeating for every page view and live refresh.
    let serviceList = ServiceList()

    /// Services with rollups in the last day, for the picker (at most `ServiceList.refresh` old).
    func services(now: Int64) async throws(StoreError) -> [String] {
        guard let engine else { return [] }
        if let cached = serviceList.fresh(now: now) { return cached }
        let minute = MinuteRollup.minute(of: now)
        let services = try await engine.rollupStore.rolledUpServices(minutes: (minute - 24 * 60)...minute)
        serviceList.store(services, now: now)
        return services
    }

    /// The last list of services and when it was read.
    final class ServiceList: Sendable {
        static let refresh: Int64 = 10_000_000_000
        private let state = Mutex<(services: [String], readAt: Int64)?>(nil)

        func fresh(now: Int64) -> [String]? {
            state.withLock { state in
                guard let state, now - state.readAt < Self.refresh, now >= state.readAt else { return nil }
                return state.services
            }
        }

        func store(_ services: [String], now: Int64) { state.withLock { $0 = (services, now) } }
    }

    /// The query behind one chart: the page's range, at the range's step.
    func query(
        _ name: SeriesName, service: String, grouping: SeriesGrouping, range: DashboardRange, now: Int64
    ) -> SeriesQuery? {
        try? SeriesQuery(
            parameters: [
                ("name", name.rawValue), ("service", service), ("by", grouping.rawValue),
                ("from", "now-\(range.rawValue)"), ("step", range.step),
            ],
            nowUnixNano: now)
    }

    /// A report's lines as a chart's, labelled by version (or by service).
    static func lines(_ report: SeriesReport, grouping: SeriesGrouping, service: String) -> [SVGChart.Line] {
        report.series.map { line in
            SVGChart.Line(
                label: grouping == .service ? line.labels["service"] ?? service : line.labels["version"] ?? "",
                points: line.points.map { ($0.unixSeconds, $0.value) })
        }
    }

    /// The lines of one series for a chart.
    func lines(
        _ name: SeriesName, service: String, grouping: SeriesGrouping, range: DashboardRange, now: Int64
    ) async throws(StoreError) -> (lines: [SVGChart.Line], report: SeriesReport)? {
        guard let series, let query = query(name, service: service, grouping: grouping, range: range, now: now)
        else { return nil }
        let report = try await series.report(query, nowUnixNano: now)
        return (Self.lines(report, grouping: grouping, service: service), report)
    }

    /// Charts of one service by version over the range, from one read of its event and sample rollups.
    func charts(
        _ specs: [(SeriesName, String)], service: String, range: DashboardRange, now: Int64
    ) async throws(StoreError) -> [String] {
        guard let series else { return [] }
        let charts = specs.compactMap { name, title in
            query(name, service: service, grouping: .version, range: range, now: now).map { (title, $0) }
        }
        let reports = try await series.reports(charts.map(\.1), nowUnixNano: now)
        return zip(charts, reports).map { chart, report in
            SVGChart.lines(
                id: "chart-\(report.name.rawValue)", title: chart.0, unit: report.unit,
                lines: Self.lines(report, grouping: .version, service: service),
                from: now / 1_000_000_000 - range.seconds, to: now / 1_000_000_000, step: report.stepSeconds)
        }
    }

    // MARK: Fleet

    func fleet(range: DashboardRange, now: Int64) async throws(StoreError) -> DashboardPage {
        let status = try await reporter.status()
        let agents = try await reporter.agents()
        let alerts = await reporter.alerts()
        let services = try await services(now: now)
        var blocks: [DashboardBlock] = []
        let totals = status.totals
        blocks.append(
            .html(
                Self.tiles([
                    ("ingest", "\(Format.trimmed(status.ingest.recordsPerSecond, digits: 1)) records/s"),
                    ("records stored", "\(totals.records)"),
                    (
                        "duplicates skipped",
                        "\(totals.duplicates) (\(totals.duplicateSeqs) seqs, \(totals.duplicateEvents) events)"
                    ),
                    ("gaps", "\(totals.gaps) (\(totals.missingRecords) records)"),
                    ("agents connected", "\(status.agentsConnected) of \(agents.agents.count)"),
                    ("commit failures", "\(status.connections.commitFailures)"),
                    ("alerts firing", "\(status.alerting.firing) (\(status.alerting.pending) pending)"),
                ])))
        var ingest: [SVGChart.Line] = []
        var step: Int64 = 60
        for service in services {
            if let (lines, report) = try await lines(
                .eventRate, service: service, grouping: .service, range: range, now: now)
            {
                ingest += lines
                step = report.stepSeconds
            }
        }
        blocks.append(
            .html(
                SVGChart.lines(
                    id: "chart-ingest", title: "Events per second by service", unit: "calls/s", lines: ingest,
                    from: now / 1_000_000_000 - range.seconds, to: now / 1_000_000_000, step: step)))
        blocks.append(
            .table(
                DashboardTable(
                    id: "agents", title: "Agents",
                    columns: [
                        "agent", "hostname", "service", "version", "connected", "lag (s)", "backlog", "last seen",
                        "records", "duplicates", "gaps", "streams", "refused",
                    ],
                    rows: agents.agents.map { agent in
                        [
                            .init(agent.id), .init(agent.hostname), .init(agent.labels["service"] ?? ""),
                            .init(agent.labels["version"] ?? ""),
                            .init(agent.connected ? "yes" : "no", style: agent.connected ? "ok" : "bad"),
                            agent.lagSeconds.map { .init(Format.trimmed($0, digits: 1), number: $0) } ?? "",
                            agent.backlogRecords.map { .init("\($0)", number: Double($0)) } ?? "",
                            .init(agent.lastSeen), .init("\(agent.records)", number: Double(agent.records)),
                            .init("\(agent.duplicates)", number: Double(agent.duplicates)),
                            .init("\(agent.gaps)", number: Double(agent.gaps)),
                            .init("\(agent.streams)", number: Double(agent.streams)),
                            .init(
                                "\(agent.refused)", number: Double(agent.refused),
                                style: agent.refused > 0 ? "bad" : nil),
                        ]
                    }, empty: "no agent has connected")))
        blocks.append(
            .table(
                DashboardTable(
                    id: "rejects", title: "Rejects and TLS handshake failures", columns: ["kind", "reason", "count"],
                    rows: status.rejects.sorted { $0.key < $1.key }.map {
                        ["reject", .init($0.key), .init("\($0.value)", number: Double($0.value))]
                    }
                        + status.tlsHandshakeFailuresByReason.sorted { $0.key < $1.key }.map {
                            ["tls", .init($0.key), .init("\($0.value)", number: Double($0.value))]
                        }, empty: "no rejects and no TLS failures")))
        blocks.append(.table(Self.alertsTable(alerts.alerts.filter { $0.state == "firing" }, id: "firing")))
        return DashboardPage(title: "Fleet", path: "/", range: range, services: services, blocks: blocks)
    }

    // MARK: Service

    /// The service page; `nil` when the service has no data in the range.
    func service(_ service: String, range: DashboardRange, now: Int64) async throws(StoreError) -> DashboardPage? {
        guard let engine else { return nil }
        // The verdict is the current one, over the judge's window (what /v1/versions and the recommendations
        // give); the split, the charts and the tables cover the page's range. The two are read concurrently.
        let judgeWindow = engine.settings.judgeWindow
        let instant = Instant(nanosecondsSinceEpoch: now)
        let sameWindow = judgeWindow == .seconds(range.seconds)
        async let judgeReport = sameWindow ? nil : engine.versions(service: service, window: nil, at: instant)
        guard let report = try await engine.versions(service: service, window: .seconds(range.seconds), at: instant)
        else { return nil }
        let current: VersionsReport?
        do {
            current = sameWindow ? report : try await judgeReport
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .read, message: "reading the judge's window failed: \(error)")
        }
        var blocks: [DashboardBlock] = []
        var verdicts = "<section class=\"verdicts\"><h2>Verdict</h2>"
        let judged = ConfigurationValue.render(judgeWindow)
        guard let current else {
            blocks.append(
                .html(verdicts + "<p class=\"empty\">no data in the judge's window (the last \(judged))</p></section>"))
            return try await servicePage(service, report: report, verdicts: nil, blocks: blocks, range: range, now: now)
        }
        if let baseline = current.baseline {
            verdicts += "<p>Baseline <strong class=\"version\">\(HTML.escape(baseline))</strong>"
            verdicts += current.baselinePinned ? " (pinned)" : " (most traffic)"
            verdicts += ", judged over the last \(judged) (the judge's window).</p>"
        }
        for version in current.versions {
            guard let verdict = version.verdict else { continue }
            let score = verdict.score.map { Format.trimmed($0, digits: 1) } ?? "–"
            verdicts += "<div class=\"verdict\" data-version=\"\(HTML.escape(version.version))\">"
            verdicts += "<span class=\"version\">\(HTML.escape(version.version))</span> "
            verdicts +=
                "<span class=\"decision \(verdict.decision.lowercased())\" data-decision=\"\(verdict.decision)\">"
            verdicts += "\(HTML.escape(verdict.decision))</span> "
            verdicts += "<span class=\"score\" data-score=\"\(score)\">score \(score)</span>"
            verdicts += "<p class=\"reason\">\(HTML.escape(verdict.reason))</p></div>"
        }
        if !current.versions.contains(where: { $0.verdict != nil }) {
            verdicts += "<p class=\"empty\">one version only: nothing to compare</p>"
        }
        blocks.append(.html(verdicts + "</section>"))
        return try await servicePage(service, report: report, verdicts: current, blocks: blocks, range: range, now: now)
    }

    /// The rest of the service page after the verdict: split, charts and tables over the range, and the evidence
    /// of `verdicts` (the judge's window).
    private func servicePage(
        _ service: String, report: VersionsReport, verdicts current: VersionsReport?, blocks: [DashboardBlock],
        range: DashboardRange, now: Int64
    ) async throws(StoreError) -> DashboardPage {
        var blocks = blocks
        blocks.append(
            .html(
                "<div class=\"pair\">"
                    + SVGChart.shares(
                        id: "share-events", title: "Share of events",
                        parts: report.versions.map { ($0.version, $0.eventShare) })
                    + SVGChart.shares(
                        id: "share-hosts", title: "Share of hosts",
                        parts: report.versions.map { ($0.version, $0.hostShare) }) + "</div>"))
        let charts = try await charts(
            [
                (SeriesName.errorRate, "Error rate by version"), (.latencyP50, "Latency p50 by version"),
                (.latencyP95, "Latency p95 by version"), (.latencyP99, "Latency p99 by version"),
                (.eventRate, "Events per second by version"), (.cpuUtilization, "CPU by version"),
                (.memoryUtilization, "Memory by version"), (.queueDepth, "Queue depth by version"),
            ], service: service, range: range, now: now)
        blocks.append(.html("<div class=\"charts\">" + charts.joined() + "</div>"))
        blocks.append(.table(Self.versionsTable(report)))
        for (index, version) in (current?.versions ?? []).enumerated() {
            guard let verdict = version.verdict else { continue }
            blocks.append(.table(Self.evidenceTable(version: version.version, verdict, index: index)))
        }
        blocks.append(
            .table(
                DashboardTable(
                    id: "nps", title: "Satisfaction (NPS) by version",
                    columns: ["version", "NPS", "responses", "promoters", "detractors"],
                    rows: report.versions.map { version in
                        [
                            .init(version.version), Self.number(version.nps.score, digits: 1),
                            Self.count(version.nps.responses), Self.count(version.nps.promoters),
                            Self.count(version.nps.detractors),
                        ]
                    })))
        blocks.append(
            .table(
                DashboardTable(
                    id: "error-categories", title: "Error categories (last 24 h against the 24 h before)",
                    columns: ["version", "category", "last 24h", "share", "previous 24h", "trend"],
                    rows: report.versions.flatMap { version in
                        version.errorCategories.map { category in
                            [
                                .init(version.version), .init(category.category.isEmpty ? "(none)" : category.category),
                                Self.count(category.last24h), Self.percent(category.share),
                                Self.count(category.previous24h), .init(category.trend),
                            ]
                        }
                    }, empty: "no errors in the last 48 h")))
        return DashboardPage(
            title: "Service \(service)", path: "/services/\(service)", range: range,
            services: try await services(now: now), blocks: blocks)
    }

    static func versionsTable(_ report: VersionsReport) -> DashboardTable {
        DashboardTable(
            id: "versions", title: "Versions over the range",
            columns: [
                "version", "role", "events", "event share", "hosts", "host share", "events/s", "error rate",
                "p50 ms", "p95 ms", "p99 ms", "cpu", "memory", "queue depth",
            ],
            rows: report.versions.map { version in
                [
                    .init(version.version), .init(version.isBaseline ? "baseline" : "compared"),
                    count(version.events), percent(version.eventShare),
                    .init("\(version.hosts.count)", number: Double(version.hosts.count)), percent(version.hostShare),
                    number(version.eventRate, digits: 2), percent(version.errorRate),
                    number(version.latencyMs.p50, digits: 1), number(version.latencyMs.p95, digits: 1),
                    number(version.latencyMs.p99, digits: 1), percent(version.cpuUtilization),
                    percent(version.memoryUtilization), number(version.queueDepth, digits: 1),
                ]
            })
    }

    static func evidenceTable(version: String, _ verdict: VerdictReport, index: Int) -> DashboardTable {
        DashboardTable(
            id: "evidence-\(index)",
            title: "Evidence: \(version) against \(verdict.baseline) — \(verdict.decision)",
            columns: [
                "metric", "group", "critical", "canary n", "baseline n", "canary median", "baseline median",
                "shift", "CI lower", "CI upper", "p-value", "classification", "reason",
            ],
            rows: verdict.evidence.map { evidence in
                [
                    .init(evidence.metric), .init(evidence.group), .init(evidence.critical ? "yes" : "no"),
                    .init("\(evidence.canaryN)", number: Double(evidence.canaryN)),
                    .init("\(evidence.baselineN)", number: Double(evidence.baselineN)),
                    number(evidence.canaryMedian, digits: 4), number(evidence.baselineMedian, digits: 4),
                    number(evidence.shift, digits: 4), number(evidence.ciLower, digits: 4),
                    number(evidence.ciUpper, digits: 4), number(evidence.pValue, digits: 4),
                    .init(evidence.classification, style: "class-\(evidence.classification)"),
                    .init(evidence.reason),
                ]
            })
    }

    // MARK: Recommendations and alerts

    func decisions(range: DashboardRange, now: Int64) async throws(StoreError) -> DashboardPage {
        let report = await recommendations()
        let alerts = await reporter.alerts()
        var blocks: [DashboardBlock] = []
        let evaluated = report.evaluatedAt.map { "last evaluation \($0)" } ?? "no evaluation yet"
        blocks.append(.html("<p class=\"meta\">\(HTML.escape(evaluated)), \(report.evaluations) evaluations</p>"))
        blocks.append(
            .table(
                DashboardTable(
                    id: "recommendations", title: "Recommendations",
                    columns: ["kind", "service", "version", "host", "action", "since", "replicas", "reason"],
                    rows: report.recommendations.map { item in
                        let replicas = item.desiredReplicas.map { desired in
                            item.currentReplicas.map { "\($0) → \(desired)" } ?? "\(desired)"
                        }
                        return [
                            .init(item.kind), .init(item.service), .init(item.version ?? ""), .init(item.host ?? ""),
                            .init(item.action, style: "action-\(Self.tableID(item.action))"), .init(item.since ?? ""),
                            .init(replicas ?? "", number: item.desiredReplicas.map(Double.init)), .init(item.reason),
                        ]
                    }, empty: "no recommendations yet")))
        blocks.append(.table(Self.alertsTable(alerts.alerts.filter { $0.state != "resolved" }, id: "alerts")))
        return DashboardPage(
            title: "Recommendations and alerts", path: "/decisions", range: range,
            services: try await services(now: now), blocks: blocks)
    }

    static func alertsTable(_ alerts: [AlertsReport.Alert], id: String) -> DashboardTable {
        DashboardTable(
            id: id, title: id == "firing" ? "Firing alerts" : "Pending and firing alerts",
            columns: ["state", "rule", "severity", "labels", "value", "threshold", "since", "fired at"],
            rows: alerts.map { alert in
                [
                    .init(alert.state, style: "state-\(tableID(alert.state))"), .init(alert.rule),
                    .init(alert.severity),
                    .init(
                        alert.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
                    number(alert.value, digits: 4), number(alert.threshold, digits: 4),
                    .init(alert.activeAt), .init(alert.firedAt ?? ""),
                ]
            }, empty: id == "firing" ? "no alert is firing" : "no alert is pending or firing")
    }

    // MARK: Cells

    static func tiles(_ items: [(String, String)]) -> String {
        "<dl class=\"tiles\">"
            + items.map {
                "<div data-tile=\"\(tableID($0.0))\"><dt>\(HTML.escape($0.0))</dt><dd>\(HTML.escape($0.1))</dd></div>"
            }.joined()
            + "</dl>"
    }

    static func number(_ value: Double?, digits: Int) -> DashboardTable.Cell {
        guard let value, value.isFinite else { return .init("–") }
        return .init(Format.trimmed(value, digits: digits), number: value)
    }

    static func count(_ value: Int64) -> DashboardTable.Cell { .init("\(value)", number: Double(value)) }

    static func percent(_ ratio: Double?) -> DashboardTable.Cell {
        guard let ratio, ratio.isFinite else { return .init("–") }
        return .init(Format.percent(ratio), number: ratio)
    }

    /// An id fragment from agent-supplied text: letters and digits kept, anything else `-`.
    static func tableID(_ text: String) -> String {
        String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(48))
    }
}
