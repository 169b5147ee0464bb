/// One host's calls and successes over the evaluation window, the input of `PeerOutlierDetector`.
public struct HostCallCounts: Sendable, Hashable {
    /// The host (agent id).
    public var host: String
    /// Calls the host served.
    public var calls: Int
    /// Calls that succeeded.
    public var successes: Int

    /// Creates counts.
    public init(host: String, calls: Int, successes: Int) {
        self.host = host
        self.calls = calls
        self.successes = successes
    }

    /// successes / calls (0 for no calls).
    public var successRate: Double { calls > 0 ? Double(successes) / Double(calls) : 0 }
}
