extension HubConfiguration {
    /// `judge`: how versions are compared (DESIGN §5).
    public struct Judge: Sendable, Hashable {
        /// `judge.baseline`: `auto` (the version with most traffic) or a pinned version string.
        public enum Baseline: Sendable, Hashable {
            /// The version with the most events in the window.
            case auto
            /// This version.
            case pinned(String)
        }

        /// `judge.baseline`. Default `auto`.
        public var baseline = Baseline.auto
        /// `judge.window`: the span of data each verdict looks at. Default 30 m.
        public var window: Duration = .seconds(30 * 60)

        /// The defaults above.
        public init() {}
    }

    /// `autoscale`: replica recommendations (DESIGN §5).
    public struct Autoscale: Sendable, Hashable {
        /// `autoscale.target_cpu`: mean CPU utilization to aim for, 0–1. Default 0.7.
        public var targetCPU = 0.7
        /// `autoscale.tolerance`: how far from the target the ratio may stray before scaling. Default 0.1.
        public var tolerance = 0.1
        /// `autoscale.target_queue_per_replica`: queue depth one replica should carry. Default 50.
        public var targetQueuePerReplica = 50.0
        /// `autoscale.scale_down_window`: how long recommendations must agree before scaling down.
        /// Default 300 s.
        public var scaleDownWindow: Duration = .seconds(300)
        /// `autoscale.min_replicas`: the fewest replicas recommended. Default 1.
        public var minReplicas = 1
        /// `autoscale.max_replicas`: the most replicas recommended. Default 100.
        public var maxReplicas = 100

        /// The defaults above.
        public init() {}
    }

    /// `breaker`: circuit-breaker thresholds (DESIGN §5).
    public struct Breaker: Sendable, Hashable {
        /// `breaker.window`: the sliding window rates are computed over. Default 60 s.
        public var window: Duration = .seconds(60)
        /// `breaker.min_calls`: calls needed in the window before rates count. Default 20.
        public var minCalls = 20
        /// `breaker.failure_rate`: failure rate that opens the breaker. Default 0.5.
        public var failureRate = 0.5
        /// `breaker.slow_call_ms`: a call slower than this is slow. Default 1000.
        public var slowCallMs = 1000.0
        /// `breaker.slow_call_rate`: slow-call rate that opens the breaker. Default 0.5.
        public var slowCallRate = 0.5
        /// `breaker.consecutive_failures`: failures in a row that open the breaker. Default 10.
        public var consecutiveFailures = 10
        /// `breaker.open_wait`: how long an open breaker waits before half-open. Default 60 s.
        public var openWait: Duration = .seconds(60)
        /// `breaker.half_open_calls`: trial calls judged in half-open. Default 10.
        public var halfOpenCalls = 10

        /// The defaults above.
        public init() {}
    }

    /// `alerts`: where rules come from and where notifications go (DESIGN §5).
    public struct Alerts: Sendable, Hashable {
        /// `alerts.rules`: rule files. Default none.
        public var rules: [String] = []
        /// `alerts.webhooks`: URLs firing and resolved alerts are POSTed to. Default none.
        public var webhooks: [String] = []
        /// `alerts.repeat_interval`: how often a still-firing alert is sent again. Default 4 h.
        public var repeatInterval: Duration = .seconds(4 * 3600)

        /// The defaults above.
        public init() {}
    }
}
