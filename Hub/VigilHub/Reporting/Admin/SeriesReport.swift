import Foundation
import VigilAnalytics
import VigilConfiguration

/// The body of `GET /v1/series`: the lines of one series over a span, with the step they were computed at.
public struct SeriesReport: Sendable, Hashable, Codable {
    /// The series.
    public var name: SeriesName
    /// What a value measures (`calls/s`, `ratio`, `ms`, `items`, `hosts`, `s`, `score`).
    public var unit: String
    /// The service.
    public var service: String
    /// The version and host filters, when given.
    public var version: String?
    /// The host filter, when given.
    public var host: String?
    /// How lines are split.
    public var by: SeriesGrouping
    /// The span asked for (RFC 3339).
    public var from: String
    /// The span's end (RFC 3339).
    public var to: String
    /// The step answered (`1m`, `1h`), which is coarser than `requestedStep` when the span needs it.
    public var step: String
    /// The step answered in seconds.
    public var stepSeconds: Int64
    /// The step asked for.
    public var requestedStep: String
    /// Which rollup cells answered: `minute` or `hour`.
    public var resolution: String
    /// Why the answer differs from what was asked, when it does.
    public var note: String?
    /// The lines, sorted by labels.
    public var series: [SeriesLine]

    /// The unit of each series.
    static func unit(of name: SeriesName) -> String {
        switch name {
        case .eventRate: "calls/s"
        case .errorRate, .cpuUtilization, .memoryUtilization, .diskUtilization: "ratio"
        case .latencyP50, .latencyP95, .latencyP99: "ms"
        case .queueDepth: "items"
        case .agentUp: "hosts"
        case .ingestLagSeconds: "s"
        case .nps: "score"
        }
    }
}

/// Answers `/v1/series` from the rollups (and, for `ingest_lag_seconds`, which has no history, from the agent
/// registry: one point at the time of the request per agent).
struct SeriesReader: Sendable {
    let store: any RollupStore
    let agents: @Sendable () async throws(StoreError) -> [AgentRecord]

    /// The rollup rows a series is built from, read once and shared by every series over the same service, span
    /// and resolution (a page's charts).
    struct Rows: Sendable {
        var events: [EventRollupRow]?
        var samples: [SampleRollupRow]?
    }

    static func needsEvents(_ name: SeriesName) -> Bool {
        name != .cpuUtilization && name != .memoryUtilization && name != .diskUtilization && name != .queueDepth
            && name != .ingestLagSeconds
    }

    static func needsSamples(_ name: SeriesName) -> Bool {
        name != .ingestLagSeconds && (!needsEvents(name) || name == .agentUp)
    }

    /// Several series of one service over one span (`queries` must share service, span, step and resolution):
    /// the event and the sample rollups are each read once, concurrently, for all of them.
    func reports(_ queries: [SeriesQuery], nowUnixNano: Int64) async throws(StoreError) -> [SeriesReport] {
        guard let first = queries.first else { return [] }
        let minutes = first.buckets.minutes
        async let events =
            queries.contains { Self.needsEvents($0.name) }
            ? store.eventRollups(service: first.service, minutes: minutes, resolution: first.resolution) : nil
        async let samples =
            queries.contains { Self.needsSamples($0.name) }
            ? store.sampleRollups(service: first.service, minutes: minutes, resolution: first.resolution) : nil
        let rows: Rows
        do {
            rows = Rows(events: try await events, samples: try await samples)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .read, message: "reading rollups for series failed: \(error)")
        }
        var out: [SeriesReport] = []
        for query in queries { out.append(try await report(query, nowUnixNano: nowUnixNano, rows: rows)) }
        return out
    }

    /// One series; `rows` are rollup rows already read for its service and span, if any.
    func report(_ query: SeriesQuery, nowUnixNano: Int64, rows: Rows = Rows()) async throws(StoreError) -> SeriesReport
    {
        let buckets = query.buckets
        let request = SeriesHistory.Request(
            name: query.name, service: query.service, version: query.version, host: query.host,
            grouping: query.grouping, buckets: buckets)
        var notes: [String] = []
        var lines: [SeriesLine]
        if query.name == .ingestLagSeconds {
            lines = try await currentLag(request, nowUnixNano: nowUnixNano)
            notes.append("ingest_lag_seconds has no history: each line is the current lag of one agent")
        } else {
            var events = rows.events ?? []
            if rows.events == nil, Self.needsEvents(query.name) {
                events = try await store.eventRollups(
                    service: query.service, minutes: buckets.minutes, resolution: query.resolution)
            }
            var samples = rows.samples ?? []
            if rows.samples == nil, Self.needsSamples(query.name) {
                samples = try await store.sampleRollups(
                    service: query.service, minutes: buckets.minutes, resolution: query.resolution)
            }
            lines = SeriesHistory.build(request, events: events, samples: samples)
        }
        if query.stepMinutes != query.requestedStepMinutes {
            notes.append(
                "step \(Self.render(query.stepMinutes)) instead of \(Self.render(query.requestedStepMinutes)): "
                    + "a line has at most \(SeriesQuery.maximumPoints) points, and spans over 24h use hour cells")
        }
        return SeriesReport(
            name: query.name, unit: SeriesReport.unit(of: query.name), service: query.service,
            version: query.version, host: query.host, by: query.grouping,
            from: HubReporter.rfc3339(query.fromUnixNano), to: HubReporter.rfc3339(query.toUnixNano),
            step: Self.render(query.stepMinutes), stepSeconds: query.stepMinutes * 60,
            requestedStep: Self.render(query.requestedStepMinutes),
            resolution: query.resolution == .hour ? "hour" : "minute",
            note: notes.isEmpty ? nil : notes.joined(separator: "; "), series: lines)
    }

    /// One point now per agent of the service passing the filters, grouped like the other series (the
    /// largest lag of the group).
    func currentLag(_ request: SeriesHistory.Request, nowUnixNano: Int64) async throws(StoreError) -> [SeriesLine] {
        var lag: [[String: String]: Double] = [:]
        for agent in try await agents() where agent.labels["service"] == request.service {
            guard let newest = agent.newestRecordUnixNano else { continue }
            let version = agent.labels["version"] ?? ""
            guard request.admits(version: version, host: agent.agentID) else { continue }
            let labels = request.labels(version: version, host: agent.agentID)
            lag[labels] = max(lag[labels] ?? 0, max(0, Double(nowUnixNano - newest) / 1e9))
        }
        return lag.map {
            SeriesLine(labels: $0.key, points: [SeriesPoint(unixSeconds: nowUnixNano / 1_000_000_000, value: $0.value)])
        }
        .sortedByLabels()
    }

    static func render(_ minutes: Int64) -> String { ConfigurationValue.render(.seconds(minutes * 60)) }
}
