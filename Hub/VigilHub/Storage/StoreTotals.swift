/// Cumulative counts over every stream the store has seen. They survive restarts (they are kept in
/// the `streams` table) and are not reduced by retention, which deletes rows, not history.
public struct StoreTotals: Sendable, Hashable, Codable {
    /// Events stored.
    public var events: UInt64 = 0
    /// Samples stored.
    public var samples: UInt64 = 0
    /// Records skipped because their seq was at or below their stream's high-water mark.
    public var duplicateSeqs: UInt64 = 0
    /// Events skipped because the same event (id and time) was already stored.
    public var duplicateEvents: UInt64 = 0
    /// Batches that started beyond their stream's high-water mark + 1.
    public var gaps: UInt64 = 0
    /// Seqs that never arrived, summed over all gaps.
    public var missingRecords: UInt64 = 0
    /// Streams ever seen.
    public var streams: UInt64 = 0
    /// Records refused by authorization, by agent and then ``RefusalReason`` label.
    public var refusedByAgent: [String: [String: UInt64]] = [:]
    /// Agents ever seen.
    public var agents: UInt64 = 0
    /// Agents whose connection is open now.
    public var connectedAgents: UInt64 = 0

    /// All zero.
    public init() {}

    /// Records stored, events and samples together.
    public var records: UInt64 { events + samples }
    /// Records skipped as duplicates of either kind.
    public var duplicates: UInt64 { duplicateSeqs + duplicateEvents }
    /// Records refused by authorization, by ``RefusalReason`` label (every reason present, 0 included).
    public var refused: [String: UInt64] {
        var byReason = Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { ($0.rawValue, UInt64(0)) })
        for reasons in refusedByAgent.values {
            for (reason, count) in reasons { byReason[reason, default: 0] += count }
        }
        return byReason
    }
    /// Records refused, every reason.
    public var refusedTotal: UInt64 { refusedByAgent.values.reduce(0) { $0 + $1.values.reduce(0, +) } }
}
