import Logging
import ServiceLifecycle
import VigilAnalytics

/// Runs the decision engine every `evaluation_interval` (DESIGN §5, issue #5 part 8) until graceful
/// shutdown. The first evaluation runs one interval after start, so the rollup job has caught up first.
public struct EvaluationService: Service {
    /// The engine.
    public let engine: DecisionEngine
    /// Time between evaluations.
    public let interval: Duration
    private let now: @Sendable () -> Int64

    /// Creates the service; `now` gives Unix time in nanoseconds.
    public init(engine: DecisionEngine, interval: Duration, now: @escaping @Sendable () -> Int64) {
        self.engine = engine
        self.interval = interval
        self.now = now
    }

    /// Evaluates every `interval` until graceful shutdown.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await engine.evaluate(at: Instant(nanosecondsSinceEpoch: now()))
        }
    }
}
