import Foundation
import Logging
import VigilAnalytics

// DecisionEngine: the I/O shell around VigilAnalytics' judge, breakers, outlier detector and autoscaler
// (DESIGN §5, issue #5 parts 8–10). It reads rollups (and, for the breakers, the newest raw events by
// insertion order), feeds the pure algorithms with an instant passed in, and keeps their state between
// evaluations and, through `DecisionStateStore`, across restarts.
//
// Invariants:
// - One evaluation at a time: a call that arrives while one runs returns the last report unchanged.
// - Breakers see every stored event once, in time order within chunks of 50,000, read after a rowid
//   watermark saved with the state; on a database without saved state they start from the newest
//   `maxCallsPerEvaluation` events, so history is never replayed. Events older than the breaker window when
//   read are not fed.
//   When more than `maxCallsPerEvaluation` events arrived since the last evaluation, the oldest are skipped
//   and counted (`breakerCallsSkipped`), so the breakers never fall further behind.
// - Breaker states, autoscaler histories (the scale-down window) and the call watermark are saved after
//   every evaluation that completes and loaded at the first evaluation of a process, so a restarted hub
//   keeps an open breaker open and does not scale down before the window has passed since the service was
//   first seen (an autoscaler without history seeds it with the current replicas). A saved breaker whose
//   thresholds differ from the configured ones is dropped (it starts closed), as is a row that no longer
//   decodes; both are logged. A failed save is logged and counted (`stateSaveFailures`); the state in memory
//   stays current and the next evaluation saves it again.
// - Nothing here reads a clock of its own: `evaluate(at:)` and `versions(…, at:)` take the instant, and the
//   evaluation's duration (`evaluationSeconds`) is measured on the clock passed to `init` (HubRuntime passes
//   `ContinuousClock`; tests pass one they control).

/// Evaluates versions, breakers, ejections and autoscaling, and produces the series for alerting.
public actor DecisionEngine {
    struct BreakerKey: Hashable {
        var service: String
        var version: String?
        var host: String?
    }

    /// The thresholds.
    public let settings: DecisionSettings
    let rollupStore: any RollupStore
    let eventStore: any EventStore
    let stateStore: any DecisionStateStore
    let rollups: RollupService?
    let logger: Logger
    /// Called with every evaluation's series.
    let onSeries: @Sendable ([SeriesValue], Instant) async -> Void
    /// Starts a stopwatch on the injected clock; calling what it returns gives the time since.
    let startStopwatch: @Sendable () -> @Sendable () -> Duration

    var breakers: [BreakerKey: CircuitBreaker] = [:]
    var lastCallAt: [BreakerKey: Instant] = [:]
    var autoscalers: [String: Autoscaler] = [:]
    var callWatermark: Int64?
    var breakerCallsSkipped: Int64 = 0
    var restored = false
    var stateSaveFailures: Int64 = 0
    var running = false
    var last = RecommendationsReport(evaluatedAt: nil, evaluations: 0, evaluationSeconds: nil, recommendations: [])
    var lastSeries: [SeriesValue] = []

    /// Creates an engine over `store`; `rollups`, when given, is caught up before each evaluation. `clock`
    /// times each evaluation (`evaluationSeconds`); it is never used to decide anything.
    public init(
        settings: DecisionSettings, store: some RollupStore & EventStore & DecisionStateStore, rollups: RollupService?,
        clock: some Clock<Duration> = ContinuousClock(),
        logger: Logger = Logger(label: "vigil.hub.decisions"),
        onSeries: @escaping @Sendable ([SeriesValue], Instant) async -> Void = { _, _ in }
    ) {
        self.settings = settings
        self.rollupStore = store
        self.eventStore = store
        self.stateStore = store
        self.rollups = rollups
        self.logger = logger
        self.onSeries = onSeries
        self.startStopwatch = {
            let started = clock.now
            return { started.duration(to: clock.now) }
        }
    }

    /// The last evaluation's recommendations.
    public var recommendations: RecommendationsReport { last }

    /// The last evaluation's series.
    public var series: [SeriesValue] { lastSeries }

    /// The versions of `service` over `window` ending at `instant`; `nil` when the service has no rollups in
    /// the window.
    public func versions(
        service: String, window: Duration? = nil, at instant: Instant
    ) async throws(StoreError) -> VersionsReport? {
        let span = JudgeSpan(window ?? settings.judgeWindow, endingAt: instant)
        let events = try await rollupStore.eventRollups(
            service: service, minutes: span.minutes, resolution: span.resolution)
        let samples = try await rollupStore.sampleRollups(
            service: service, minutes: span.minutes, resolution: span.resolution)
        if events.isEmpty && samples.isEmpty { return nil }
        let day: Int64 = 24 * 60
        let now = MinuteRollup.minute(of: instant.nanosecondsSinceEpoch) + 1
        let categories = try await rollupStore.errorCategories(
            service: service, recent: (now - day)..<now, previous: (now - 2 * day)..<(now - day))
        return analyzer.analyze(
            .init(
                service: service, events: events, samples: samples, errorCategories: categories,
                minutes: span.minutes, window: span.window, generatedAt: Self.rfc3339(instant),
                pointSeconds: span.pointSeconds)
        ).report
    }

    var analyzer: VersionAnalyzer {
        VersionAnalyzer(judge: CanaryJudge(configuration: settings.judge), pinnedBaseline: settings.pinnedBaseline)
    }

    /// Runs one evaluation at `instant`: restores the saved state (first evaluation only), catches the rollups
    /// up, judges every service's versions, feeds and evaluates the breakers, detects outlier hosts,
    /// recommends replicas, saves the state, and hands the series to `onSeries`. Store failures are logged
    /// and leave the previous report in place.
    @discardableResult
    public func evaluate(at instant: Instant) async -> RecommendationsReport {
        guard !running else { return last }
        running = true
        defer { running = false }
        let stopwatch = startStopwatch()
        do {
            if !restored {
                try await restoreState()
                restored = true
            }
            if let rollups { await rollups.catchUp() }
            var recommendations: [RecommendationsReport.Recommendation] = []
            var series: [SeriesValue] = []
            let longest = max(settings.judgeWindow, settings.recentWindow)
            let judge = JudgeSpan(settings.judgeWindow, endingAt: instant)
            let recentMinutes = Self.minutes(settings.recentWindow, endingAt: instant)
            let recentSeconds =
                Double(instant.nanosecondsSinceEpoch - recentMinutes.lowerBound * MinuteRollup.minuteNanos) / 1e9
            let services = try await rollupStore.rolledUpServices(minutes: Self.minutes(longest, endingAt: instant))
            for service in services {
                // One read of minute cells covers both spans, unless the judge reads hour cells (a window over a
                // day, as `/v1/versions` does): then each span reads its own.
                let events: [EventRollupRow]
                let samples: [SampleRollupRow]
                let judgeEvents: [EventRollupRow]
                let judgeSamples: [SampleRollupRow]
                if judge.resolution == .minute {
                    let both = min(judge.minutes.lowerBound, recentMinutes.lowerBound)...judge.minutes.upperBound
                    events = try await rollupStore.eventRollups(service: service, minutes: both)
                    samples = try await rollupStore.sampleRollups(service: service, minutes: both)
                    judgeEvents = events.filter { judge.minutes.contains($0.key.minute) }
                    judgeSamples = samples.filter { judge.minutes.contains($0.key.minute) }
                } else {
                    events = try await rollupStore.eventRollups(service: service, minutes: recentMinutes)
                    samples = try await rollupStore.sampleRollups(service: service, minutes: recentMinutes)
                    judgeEvents = try await rollupStore.eventRollups(
                        service: service, minutes: judge.minutes, resolution: .hour)
                    judgeSamples = try await rollupStore.sampleRollups(
                        service: service, minutes: judge.minutes, resolution: .hour)
                }
                let (report, verdicts) = analyzer.analyze(
                    .init(
                        service: service, events: judgeEvents, samples: judgeSamples, errorCategories: [],
                        minutes: judge.minutes, window: judge.window, generatedAt: Self.rfc3339(instant),
                        pointSeconds: judge.pointSeconds))
                for version in report.versions {
                    guard let verdict = verdicts[version.version], let baseline = report.baseline else { continue }
                    recommendations.append(
                        .init(
                            kind: "canary", service: service, version: version.version,
                            action: verdict.decision.rawValue,
                            reason: "against baseline \(baseline): \(verdict.reason)",
                            score: verdict.score.flatMap { $0.isFinite ? $0 : nil }))
                }
                let recentEvents = events.filter { recentMinutes.contains($0.key.minute) }
                let recentSamples = samples.filter { recentMinutes.contains($0.key.minute) }
                recommendations += ejections(service: service, events: recentEvents)
                recommendations.append(
                    autoscale(service: service, events: recentEvents, samples: recentSamples, at: instant))
                series += SeriesBuilder.service(
                    service, events: recentEvents, samples: recentSamples, seconds: recentSeconds, report: report)
            }
            recommendations += try await evaluateBreakers(at: instant)
            let agents = try await eventStore.agents().map {
                SeriesBuilder.Agent(
                    agentID: $0.agentID, labels: $0.labels, connected: $0.connected,
                    newestRecordUnixNano: $0.newestRecordUnixNano)
            }
            series += SeriesBuilder.agents(agents, nowUnixNano: instant.nanosecondsSinceEpoch)
            await saveState(at: instant)
            let elapsed = stopwatch()
            last = RecommendationsReport(
                evaluatedAt: Self.rfc3339(instant), evaluations: last.evaluations + 1,
                evaluationSeconds: Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds),
                recommendations: recommendations, breakerCallsSkipped: breakerCallsSkipped,
                stateSaveFailures: stateSaveFailures)
            lastSeries = series
            // The alert rules take the computed series here: HubRuntime passes `AlertManager.evaluate` as
            // `onSeries`.
            await onSeries(series, instant)
        } catch {
            logger.warning("evaluation failed; keeping the previous report", metadata: ["error": "\(error)"])
        }
        return last
    }

    /// The rollups a verdict over a window reads: minute cells for windows up to a day; past that, minute points
    /// cost more to read than they add to a verdict, so hour cells, from the whole hour the window starts in.
    struct JudgeSpan {
        /// The longest window judged on minute points.
        static let minuteResolutionLimit: Duration = .seconds(86_400)

        /// The minutes read (for hour cells: the first minutes of the hours read).
        var minutes: ClosedRange<Int64>
        /// The span the figures cover: the window, widened to the whole first hour for hour cells.
        var window: Duration
        /// Which cells are read.
        var resolution: RollupResolution

        init(_ window: Duration, endingAt instant: Instant) {
            self.window = window
            minutes = DecisionEngine.minutes(window, endingAt: instant)
            resolution = window > Self.minuteResolutionLimit ? .hour : .minute
            if resolution == .hour {
                let start = MinuteRollup.hourStart(ofMinute: minutes.lowerBound)
                self.window += .seconds(60 * (minutes.lowerBound - start))
                minutes = start...minutes.upperBound
            }
        }

        /// The span of one judge point.
        var pointSeconds: Double { resolution == .hour ? 3600 : 60 }
    }

    static func minutes(_ window: Duration, endingAt instant: Instant) -> ClosedRange<Int64> {
        let end = MinuteRollup.minute(of: instant.nanosecondsSinceEpoch)
        let start = MinuteRollup.minute(of: instant.nanosecondsSinceEpoch - window.totalNanoseconds)
        return min(start, end)...end
    }

    static func rfc3339(_ instant: Instant) -> String {
        Date(timeIntervalSince1970: Double(instant.nanosecondsSinceEpoch) / 1e9).formatted(.iso8601)
    }
}
