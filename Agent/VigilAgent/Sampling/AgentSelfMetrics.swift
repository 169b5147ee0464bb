/// The agent's own figures that the host sampler reports beside the host's: `agent.buffer.records`,
/// `agent.buffer.bytes` and `agent.dropped`. They are kept by the buffer; the sampler only asks
/// for them once per sample through this hook.
public protocol AgentSelfMetrics: Sendable {
    /// The current values. Called once per sampling interval from the sampler's task, so it must
    /// be cheap and must not block (read counters, do not query the database).
    func currentSelfMetrics() -> AgentSelfMetricValues
}

/// One reading of the agent's own figures.
public struct AgentSelfMetricValues: Sendable, Equatable {
    /// `agent.buffer.records`: records in the buffer, waiting to be shipped or acknowledged.
    public var bufferedRecords: UInt64
    /// `agent.buffer.bytes`: size of those records.
    public var bufferedBytes: UInt64
    /// `agent.dropped`: records dropped since the buffer was created (full buffer, invalid input …);
    /// a counter, so the hub can take its rate.
    public var droppedRecords: UInt64

    /// Creates a reading.
    public init(bufferedRecords: UInt64, bufferedBytes: UInt64, droppedRecords: UInt64) {
        self.bufferedRecords = bufferedRecords
        self.bufferedBytes = bufferedBytes
        self.droppedRecords = droppedRecords
    }
}

/// An ``AgentSelfMetrics`` backed by a closure, for wiring without a dedicated type.
public struct AgentSelfMetricsClosure: AgentSelfMetrics {
    private let body: @Sendable () -> AgentSelfMetricValues

    /// Wraps `body`, which is called once per sample.
    public init(_ body: @escaping @Sendable () -> AgentSelfMetricValues) {
        self.body = body
    }

    /// The values `body` returns.
    public func currentSelfMetrics() -> AgentSelfMetricValues {
        body()
    }
}
