/// Calls, failures and slow calls counted together.
public struct CallCounts: Sendable, Hashable, Codable {
    /// Calls counted.
    public var calls: Int = 0
    /// Calls that failed.
    public var failures: Int = 0
    /// Calls slower than the slow-call threshold (failed or not).
    public var slowCalls: Int = 0

    /// Creates counts.
    public init(calls: Int = 0, failures: Int = 0, slowCalls: Int = 0) {
        self.calls = calls
        self.failures = failures
        self.slowCalls = slowCalls
    }

    /// failures / calls, 0 when there are no calls.
    public var failureRate: Double { calls == 0 ? 0 : Double(failures) / Double(calls) }
    /// slowCalls / calls, 0 when there are no calls.
    public var slowCallRate: Double { calls == 0 ? 0 : Double(slowCalls) / Double(calls) }

    mutating func add(failed: Bool, slow: Bool) {
        calls += 1
        if failed { failures += 1 }
        if slow { slowCalls += 1 }
    }

    static func + (lhs: CallCounts, rhs: CallCounts) -> CallCounts {
        CallCounts(
            calls: lhs.calls + rhs.calls, failures: lhs.failures + rhs.failures,
            slowCalls: lhs.slowCalls + rhs.slowCalls)
    }
}
