import VigilAnalytics
import VigilProtocol

// CommitFold: what one commit stored, as the rollups and the circuit breakers need it, folded from the decoded
// records while the store inserts them. Pure: the store decides which records were new and calls `add` for
// those only, then writes `chunk` and `calls` in the commit's transaction.
//
// Invariants:
// - Only records the commit stored are added, each once (the store's job); the fold never reads a database.
// - A sample is attributed to its own `service`/`version` labels, or else to those its agent sent in Hello.

/// The minute rollups and calls of the records one commit stored.
struct CommitFold {
    /// The rollup cells of the stored records.
    private(set) var chunk: MinuteRollup.Chunk
    /// The stored events as calls, in the order they were stored (when kept).
    private(set) var calls: [CallRecord] = []
    /// Whether the store needs the calls (PostgreSQL writes them per commit; SQLite's breakers read events by
    /// rowid, which is safe with its one writer).
    let keepsCalls: Bool

    /// A fold starting from `chunk` (cells already read back, or none).
    init(chunk: MinuteRollup.Chunk = MinuteRollup.Chunk(), keepsCalls: Bool) {
        self.chunk = chunk
        self.keepsCalls = keepsCalls
    }

    /// Adds a stored event.
    mutating func add(_ event: MinuteRollup.RawEvent) {
        chunk.add(event)
        guard keepsCalls else { return }
        calls.append(
            CallRecord(
                timeUnixNano: event.timeUnixNano, service: event.key.service, version: event.key.version,
                host: event.key.host, failed: event.failed, durationMs: event.durationMs))
    }

    /// Adds a stored sample of `agentID`, whose Hello labels named `agentService` and `agentVersion`.
    mutating func add(_ sample: Vigil_V1_Sample, agentID: String, agentService: String, agentVersion: String) {
        chunk.add(
            MinuteRollup.RawSample(
                timeUnixNano: sample.timeUnixNano, service: sample.labels["service"] ?? agentService,
                version: sample.labels["version"] ?? agentVersion, host: agentID, metric: sample.metric,
                value: sample.value))
    }
}
