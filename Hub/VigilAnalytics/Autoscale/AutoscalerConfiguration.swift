/// The autoscale rule's settings; every default is the one DESIGN §5 and the hub's `autoscale:` key name.
public struct AutoscalerConfiguration: Sendable, Hashable {
    /// The mean CPU utilization (0–1) the service should run at (default 0.7).
    public var targetCPUUtilization: Double
    /// The queue depth one replica should carry (default 50).
    public var targetQueuePerReplica: Double
    /// How far the ratio of current to target may stray from 1 before replicas change (default 0.1).
    public var tolerance: Double
    /// The fewest replicas recommended (default 1).
    public var minReplicas: Int
    /// The most replicas recommended (default 100).
    public var maxReplicas: Int
    /// How long past recommendations hold back a scale-down (default 300 s).
    public var scaleDownWindow: Duration

    /// Creates a configuration; omitted arguments take the documented defaults.
    public init(
        targetCPUUtilization: Double = 0.7,
        targetQueuePerReplica: Double = 50,
        tolerance: Double = 0.1,
        minReplicas: Int = 1,
        maxReplicas: Int = 100,
        scaleDownWindow: Duration = .seconds(300)
    ) {
        self.targetCPUUtilization = targetCPUUtilization
        self.targetQueuePerReplica = targetQueuePerReplica
        self.tolerance = tolerance
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.scaleDownWindow = scaleDownWindow
    }
}
