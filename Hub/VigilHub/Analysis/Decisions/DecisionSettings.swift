import VigilAnalytics

/// The decision engine's thresholds, from the hub configuration's `judge`, `autoscale` and `breaker` keys.
public struct DecisionSettings: Sendable {
    /// `judge.window`: the span versions and verdicts look at.
    public var judgeWindow: Duration
    /// `judge.baseline` when pinned.
    public var pinnedBaseline: String?
    /// The judge.
    public var judge: CanaryJudgeConfiguration
    /// Breaker thresholds, for every version and host breaker.
    public var breaker: CircuitBreakerConfiguration
    /// The autoscale rule.
    public var autoscale: AutoscalerConfiguration
    /// Host ejection among peers.
    public var ejection: PeerOutlierDetector
    /// The span the series, ejections and autoscaling look at (the recent past). Default 5 min.
    public var recentWindow: Duration
    /// The most raw events the breakers read per evaluation; when more arrived since the last one, the
    /// oldest are skipped. Default 2 000 000: 200,000 events/s at the default 10 s evaluation interval.
    public var maxCallsPerEvaluation: Int

    /// Settings from a hub configuration.
    public init(configuration: HubConfiguration) {
        judgeWindow = configuration.judge.window
        if case .pinned(let version) = configuration.judge.baseline { pinnedBaseline = version }
        judge = CanaryJudgeConfiguration()
        let b = configuration.breaker
        breaker = CircuitBreakerConfiguration(
            window: b.window, minimumCalls: b.minCalls, failureRateThreshold: b.failureRate,
            slowCallThreshold: .nanoseconds(Int64(b.slowCallMs * 1e6)), slowCallRateThreshold: b.slowCallRate,
            consecutiveFailures: b.consecutiveFailures, openWait: b.openWait, halfOpenCalls: b.halfOpenCalls)
        let a = configuration.autoscale
        autoscale = AutoscalerConfiguration(
            targetCPUUtilization: a.targetCPU, targetQueuePerReplica: a.targetQueuePerReplica, tolerance: a.tolerance,
            minReplicas: a.minReplicas, maxReplicas: a.maxReplicas, scaleDownWindow: a.scaleDownWindow)
        ejection = PeerOutlierDetector()
        recentWindow = .seconds(300)
        maxCallsPerEvaluation = 2_000_000
    }
}
