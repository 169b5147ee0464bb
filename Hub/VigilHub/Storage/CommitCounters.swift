/// What the committer did since the hub started (the store's totals cover all time).
public struct CommitCounters: Sendable, Hashable {
    /// Transactions committed.
    public var commits: UInt64 = 0
    /// Transactions that failed (rolled back; their batches were not acknowledged).
    public var commitFailures: UInt64 = 0
    /// Batches committed.
    public var batches: UInt64 = 0
    /// Records newly stored.
    public var recordsStored: UInt64 = 0
    /// Records skipped as duplicates (seq or event id).
    public var duplicates: UInt64 = 0

    /// All zero.
    public init() {}

    mutating func add(_ outcome: BatchOutcome) {
        batches += 1
        recordsStored += UInt64(outcome.stored)
        duplicates += UInt64(outcome.duplicates)
    }
}
