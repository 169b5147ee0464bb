import Logging
import ServiceLifecycle
import VigilAnalytics

/// Runs the decision engine every `evaluation_interval` (DESIGN §5, issue #5 part 8) until graceful
/// shutdown. The first evaluation runs one interval after start, so the rollup job has caught up first.
///
/// With replicas, a replica that does not lead asks again every quarter interval (250 ms at most), and
/// evaluates as soon as it leads: a leader that died leaves a gap of at most one interval, the election's try
/// (half an interval) and that poll, rather than one more whole interval.
public struct EvaluationService: Service {
    /// The engine.
    public let engine: DecisionEngine
    /// Time between evaluations.
    public let interval: Duration
    private let now: @Sendable () -> Int64
    /// Whether this hub should evaluate now (several replicas: only the leader does); `nil` for always.
    private let leads: (@Sendable () async -> Bool)?
    /// Called with each evaluation's report and the instant it evaluated (the leader saves both for the other
    /// replicas).
    private let publish: (@Sendable (RecommendationsReport, Instant) async -> Void)?

    /// Creates the service; `now` gives Unix time in nanoseconds; `leads`, when given, is asked before each
    /// evaluation (a replica that does not lead skips it).
    public init(
        engine: DecisionEngine, interval: Duration, now: @escaping @Sendable () -> Int64,
        leads: (@Sendable () async -> Bool)? = nil,
        publish: (@Sendable (RecommendationsReport, Instant) async -> Void)? = nil
    ) {
        self.publish = publish
        self.engine = engine
        self.interval = interval
        self.now = now
        self.leads = leads
    }

    /// How often a replica that does not lead asks whether it leads now (an in-memory flag: cheap).
    var notLeadingPoll: Duration { min(interval / 4, .milliseconds(250)) }

    /// Evaluates every `interval` until graceful shutdown, on a fixed cadence: each evaluation is due one
    /// interval after the previous one was due, however long it took (one that overran the next is skipped,
    /// not queued), so evaluations do not drift later by their own duration.
    public func run() async throws {
        let clock = ContinuousClock()
        var due = clock.now.advanced(by: interval)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [due] in try await Task.sleep(until: due, clock: clock) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            if let leads, await !leads() {
                due = clock.now.advanced(by: notLeadingPoll)
                continue
            }
            let instant = Instant(nanosecondsSinceEpoch: now())
            let report = await engine.evaluate(at: instant)
            await publish?(report, instant)
            due = due.advanced(by: interval)
            let current = clock.now
            while due <= current { due = due.advanced(by: interval) }
        }
    }
}
