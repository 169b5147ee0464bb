/// What the autoscaler observes about one service at one evaluation.
public struct AutoscaleInput: Sendable, Hashable {
    /// Replicas now: the hosts reporting the service.
    public var currentReplicas: Int
    /// Mean CPU utilization (0–1) over those hosts; `nil` when no sample arrived (a missing metric).
    public var meanCPUUtilization: Double?
    /// Total queue depth over those hosts; `nil` when no sample arrived (a missing metric).
    public var totalQueueDepth: Double?

    /// Creates an input.
    public init(currentReplicas: Int, meanCPUUtilization: Double?, totalQueueDepth: Double?) {
        self.currentReplicas = currentReplicas
        self.meanCPUUtilization = meanCPUUtilization
        self.totalQueueDepth = totalQueueDepth
    }
}
