/// The groups a verdict's score is weighted by (DESIGN §5).
public enum MetricGroup: String, Sendable, Hashable, CaseIterable {
    /// Error rate; weight 40.
    case errors
    /// Latency percentiles; weight 30.
    case latency
    /// CPU and memory; weight 20.
    case resources
    /// Queue depth; weight 10.
    case saturation

    /// The group's weight in the 0–100 score.
    public var weight: Double {
        switch self {
        case .errors: 40
        case .latency: 30
        case .resources: 20
        case .saturation: 10
        }
    }
}
