// VersionAnalyzer: DESIGN §5's per-version comparison, computed from minute rollups. Pure: the caller reads
// the rollups and passes them in with the window and the time.
//
// Choices:
// - Calls are every event except `feedback` (which carries satisfaction, not work): they make the counts,
//   rates, error rates and latencies. `feedback` events with a score make the NPS.
// - The judge's points are per (host, cell), a cell being a minute or, for windows over a day, an hour
//   (`Input.pointSeconds`): error rate = errors / calls, p50/p95/p99 from that cell's merged sketch, and the
//   mean of that cell's samples for cpu.utilization, memory.utilization and queue.depth. A (host, cell)
//   without calls gives no latency or error point. Hour points are fewer: a canary needs the judge's minimum
//   points in host-hours before a window over a day can judge it.
// - Hosts of a version are the agents that sent its calls or samples labelled with it.
// - A version's resource figures are the mean over its hosts of each host's mean over the window.
// - A pinned baseline stays the baseline even without calls in the window; every other version's verdict
//   is then INCONCLUSIVE, saying so (its evidence shows the canary's values against none).

/// Compares the versions of one service.
public struct VersionAnalyzer: Sendable {
    /// The judge used for verdicts.
    public var judge: CanaryJudge
    /// `judge.baseline` when pinned.
    public var pinnedBaseline: String?

    /// Creates an analyzer.
    public init(judge: CanaryJudge = CanaryJudge(), pinnedBaseline: String? = nil) {
        self.judge = judge
        self.pinnedBaseline = pinnedBaseline
    }

    /// What `analyze` needs about one service.
    public struct Input: Sendable {
        /// The service.
        public var service: String
        /// Event rollups of the window.
        public var events: [EventRollupRow]
        /// Sample rollups of the window.
        public var samples: [SampleRollupRow]
        /// Error counts per version and category: last 24 h and the 24 h before.
        public var errorCategories: [ErrorCategoryCount]
        /// The window's first and last Unix minute.
        public var minutes: ClosedRange<Int64>
        /// The window's length.
        public var window: Duration
        /// The evaluation time, RFC 3339.
        public var generatedAt: String
        /// The span of one rollup cell: 60 for minute rollups, 3600 for hourly ones.
        public var pointSeconds: Double

        /// Creates an input.
        public init(
            service: String, events: [EventRollupRow], samples: [SampleRollupRow],
            errorCategories: [ErrorCategoryCount], minutes: ClosedRange<Int64>, window: Duration,
            generatedAt: String, pointSeconds: Double = 60
        ) {
            self.service = service
            self.events = events
            self.samples = samples
            self.errorCategories = errorCategories
            self.minutes = minutes
            self.window = window
            self.generatedAt = generatedAt
            self.pointSeconds = pointSeconds
        }
    }

    struct HostMinute: Hashable {
        var host: String
        var minute: Int64
    }

    struct VersionData {
        var calls = EventCell()
        var feedback = EventCell()
        var hosts: Set<String> = []
        var cells: [HostMinute: EventCell] = [:]
        var resources: [String: [HostMinute: SampleCell]] = [:]
    }

    static let resourceMetrics = ["cpu.utilization", "memory.utilization", "queue.depth"]

    /// The report, and the verdict per non-baseline version.
    public func analyze(_ input: Input) -> (report: VersionsReport, verdicts: [String: Verdict]) {
        // Mutated in place through the dictionary's default subscript: taking a version out, changing it and
        // putting it back would copy its cells on every row.
        var data: [String: VersionData] = [:]
        for row in input.events {
            if row.key.name == MinuteRollup.feedbackName {
                data[row.key.version, default: VersionData()].feedback.merge(row.cell)
            } else {
                data[row.key.version, default: VersionData()].calls.merge(row.cell)
                data[row.key.version, default: VersionData()].hosts.insert(row.key.host)
                data[row.key.version, default: VersionData()].cells[
                    HostMinute(host: row.key.host, minute: row.key.minute), default: EventCell()
                ].merge(row.cell)
            }
        }
        for row in input.samples where !row.key.version.isEmpty && Self.resourceMetrics.contains(row.key.metric) {
            data[row.key.version, default: VersionData()].hosts.insert(row.key.host)
            data[row.key.version, default: VersionData()].resources[row.key.metric, default: [:]][
                HostMinute(host: row.key.host, minute: row.key.minute), default: SampleCell()
            ].merge(row.cell)
        }
        let eventCounts = data.compactMapValues { $0.calls.count > 0 ? Int($0.calls.count) : nil }
        let baseline = CanaryJudge.baseline(eventCounts: eventCounts, pinned: pinnedBaseline)
        let totalEvents = data.values.reduce(Int64(0)) { $0 + $1.calls.count }
        let allHosts = data.values.reduce(into: Set<String>()) { $0.formUnion($1.hosts) }
        let seconds = max(1, Double(input.window.components.seconds))
        let categories = Dictionary(grouping: input.errorCategories, by: \.version)

        var verdicts: [String: Verdict] = [:]
        var versions: [VersionsReport.Version] = []
        for (name, version) in data {
            var verdictReport: VerdictReport?
            if let baseline, name != baseline {
                var verdict = judge.judge(Self.metrics(canary: version, baseline: data[baseline] ?? VersionData()))
                if eventCounts[baseline] == nil {
                    // Only a pinned baseline can lack calls: judging against the busiest version instead
                    // would answer a question nobody asked.
                    verdict.decision = .inconclusive
                    verdict.reason = "pinned baseline \(baseline) (judge.baseline) has no calls in the window"
                }
                verdicts[name] = verdict
                verdictReport = Self.report(verdict, baseline: baseline)
            }
            let calls = version.calls
            let feedback = version.feedback
            versions.append(
                VersionsReport.Version(
                    version: name, isBaseline: name == baseline, events: calls.count,
                    eventShare: totalEvents > 0 ? Double(calls.count) / Double(totalEvents) : 0,
                    hosts: version.hosts.sorted(),
                    hostShare: allHosts.isEmpty ? 0 : Double(version.hosts.count) / Double(allHosts.count),
                    eventRate: Double(calls.count) / seconds,
                    errorRate: calls.count > 0 ? Double(calls.errors) / Double(calls.count) : nil,
                    latencyMs: .init(
                        p50: calls.sketch.quantile(0.5), p95: calls.sketch.quantile(0.95),
                        p99: calls.sketch.quantile(0.99)),
                    cpuUtilization: Self.meanOfHosts(version.resources["cpu.utilization"]),
                    memoryUtilization: Self.meanOfHosts(version.resources["memory.utilization"]),
                    queueDepth: Self.meanOfHosts(version.resources["queue.depth"]),
                    nps: .init(
                        score: feedback.scores > 0
                            ? 100 * Double(feedback.promoters - feedback.detractors) / Double(feedback.scores) : nil,
                        responses: feedback.scores, promoters: feedback.promoters, detractors: feedback.detractors),
                    errorCategories: Self.errorCategories(categories[name] ?? []),
                    verdict: verdictReport))
        }
        versions.sort { ($0.events, $1.version) > ($1.events, $0.version) }
        let report = VersionsReport(
            service: input.service, windowSeconds: seconds, generatedAt: input.generatedAt,
            fromMinute: input.minutes.lowerBound, toMinute: input.minutes.upperBound, baseline: baseline,
            baselinePinned: pinnedBaseline != nil && baseline == pinnedBaseline, pointSeconds: input.pointSeconds,
            versions: versions)
        return (report, verdicts)
    }

    /// The judge's metrics: per-(host, minute) values of the canary and the baseline.
    static func metrics(canary: VersionData, baseline: VersionData) -> [MetricSamples] {
        func points(_ data: VersionData, _ value: (EventCell) -> Double?) -> [Double] {
            data.cells.keys.sorted { ($0.host, $0.minute) < ($1.host, $1.minute) }.compactMap { key in
                data.cells[key].flatMap { $0.count > 0 ? value($0) : nil }
            }
        }
        func samples(_ data: VersionData, _ metric: String) -> [Double] {
            let cells = data.resources[metric] ?? [:]
            return cells.keys.sorted { ($0.host, $0.minute) < ($1.host, $1.minute) }.compactMap { cells[$0]?.average }
        }
        let errorRate: (EventCell) -> Double? = { Double($0.errors) / Double($0.count) }
        var metrics = [
            MetricSamples.errorRate(canary: points(canary, errorRate), baseline: points(baseline, errorRate))
        ]
        for (label, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)] {
            let quantile: (EventCell) -> Double? = { $0.sketch.quantile(q) }
            metrics.append(.latency(label, canary: points(canary, quantile), baseline: points(baseline, quantile)))
        }
        metrics.append(
            .resource(
                "cpu", canary: samples(canary, "cpu.utilization"), baseline: samples(baseline, "cpu.utilization")))
        metrics.append(
            .resource(
                "memory", canary: samples(canary, "memory.utilization"),
                baseline: samples(baseline, "memory.utilization")))
        metrics.append(
            .queueDepth(canary: samples(canary, "queue.depth"), baseline: samples(baseline, "queue.depth")))
        return metrics
    }

    static func meanOfHosts(_ cells: [HostMinute: SampleCell]?) -> Double? {
        guard let cells, !cells.isEmpty else { return nil }
        var perHost: [String: SampleCell] = [:]
        for (key, cell) in cells { perHost[key.host, default: SampleCell()].merge(cell) }
        let means = perHost.values.compactMap(\.average)
        return means.isEmpty ? nil : means.reduce(0, +) / Double(means.count)
    }

    static func errorCategories(_ counts: [ErrorCategoryCount]) -> [VersionsReport.ErrorCategory] {
        let total = counts.reduce(Int64(0)) { $0 + $1.recent }
        return counts.map { count in
            let trend: String
            var change: Double?
            if count.previous == 0 {
                trend = count.recent > 0 ? "new" : "flat"
            } else if count.recent == 0 {
                trend = "gone"
                change = 0
            } else {
                let ratio = Double(count.recent) / Double(count.previous)
                change = ratio
                trend = ratio > 1.1 ? "up" : ratio < 1 / 1.1 ? "down" : "flat"
            }
            return VersionsReport.ErrorCategory(
                category: count.category.isEmpty ? "unspecified" : count.category, last24h: count.recent,
                share: total > 0 ? Double(count.recent) / Double(total) : 0, previous24h: count.previous,
                trend: trend, change: change)
        }
        .sorted { ($0.last24h, $1.category) > ($1.last24h, $0.category) }
    }

    static func report(_ verdict: Verdict, baseline: String) -> VerdictReport {
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        return VerdictReport(
            decision: verdict.decision.rawValue, score: finite(verdict.score), reason: verdict.reason,
            baseline: baseline,
            evidence: verdict.evidence.map { metric in
                VerdictReport.Evidence(
                    metric: metric.name, group: metric.group.rawValue, critical: metric.isCritical,
                    canaryN: metric.canaryCount, baselineN: metric.baselineCount,
                    canaryMedian: finite(metric.canaryMedian), baselineMedian: finite(metric.baselineMedian),
                    meanRatio: finite(metric.meanRatio), shift: finite(metric.test?.shift),
                    ciLower: finite(metric.test?.lower), ciUpper: finite(metric.test?.upper),
                    confidenceLevel: metric.test?.confidenceLevel, pValue: finite(metric.test?.pValue),
                    classification: metric.classification.rawValue, criticalFailure: metric.isCriticalFailure,
                    reason: metric.reason)
            })
    }
}
