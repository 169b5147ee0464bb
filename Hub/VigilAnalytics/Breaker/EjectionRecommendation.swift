/// A host whose success rate is an outlier among its peers.
public struct EjectionRecommendation: Sendable, Hashable, CustomStringConvertible {
    /// The host.
    public var host: String
    /// The host's success rate.
    public var successRate: Double
    /// The threshold it fell below: mean − factor × σ of the qualifying hosts.
    public var threshold: Double
    /// The arithmetic, e.g. "success rate 82 % (820 of 1000 calls) < 96.1 % = mean 98.5 % − 1.9 × σ 1.3 %
    /// over 6 hosts with ≥ 100 calls".
    public var reason: String

    /// Creates a recommendation.
    public init(host: String, successRate: Double, threshold: Double, reason: String) {
        self.host = host
        self.successRate = successRate
        self.threshold = threshold
        self.reason = reason
    }

    /// "<host>: <reason>".
    public var description: String { "\(host): \(reason)" }
}
