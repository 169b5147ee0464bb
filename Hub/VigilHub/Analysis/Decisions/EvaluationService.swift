import Logging
import ServiceLifecycle
import VigilAnalytics

/// Runs the decision engine every `evaluation_interval` (DESIGN §5, issue #5 part 8) until graceful
/// shutdown. The first evaluation runs one interval after start, so the rollup job has caught up first.
///
/// With replicas, a replica that does not lead asks again every quarter interval, and evaluates as soon as it
/// leads: a leader that died leaves a gap of at most its last interval, the election's try and that quarter,
/// rather than one more whole interval.
public struct EvaluationService: Service {
    /// The engine.
    public let engine: DecisionEngine
    /// Time between evaluations.
    public let interval: Duration
    private let now: @Sendable () -> Int64
    /// Whether this hub should evaluate now (several replicas: only the leader does); `nil` for always.
    private let leads: (@Sendable () async -> Bool)?
    /// Called with each evaluation's report (the leader saves it for the other replicas).
    private let publish: (@Sendable (RecommendationsReport) async -> Void)?

    /// Creates the service; `now` gives Unix time in nanoseconds; `leads`, when given, is asked before each
    /// evaluation (a replica that does not lead skips it).
    public init(
        engine: DecisionEngine, interval: Duration, now: @escaping @Sendable () -> Int64,
        leads: (@Sendable () async -> Bool)? = nil, publish: (@Sendable (RecommendationsReport) async -> Void)? = nil
    ) {
        self.publish = publish
        self.engine = engine
        self.interval = interval
        self.now = now
        self.leads = leads
    }

    /// Evaluates every `interval` until graceful shutdown.
    public func run() async throws {
        var pause = interval
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [pause] in try await Task.sleep(for: pause) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            if let leads, await !leads() {
                pause = interval / 4
                continue
            }
            pause = interval
            let report = await engine.evaluate(at: Instant(nanosecondsSinceEpoch: now()))
            await publish?(report)
        }
    }
}
