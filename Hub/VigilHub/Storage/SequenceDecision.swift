/// The dedupe decision for one batch of one `(agent_id, stream_id)` (DESIGN §2). Pure.
///
/// Invariants:
/// - Records with seq ≤ the stream's high-water mark (`hwm`) were stored before: they are skipped,
///   counted as duplicates, and still acknowledged.
/// - A batch that starts beyond `hwm + 1` is stored all the same; the seqs in between are counted as
///   missing and the batch as one gap (an agent's `drop_oldest` removed them, or they never existed).
/// - The new `hwm` is the batch's last seq whenever that is higher, so it never moves backwards.
/// - `throughSeq` is always the batch's own last seq: the hub never acknowledges a seq the connection
///   did not send, even when `hwm` is ahead of it.
public struct SequenceDecision: Sendable, Hashable {
    /// Leading records of the batch already stored (seq ≤ hwm).
    public var skip: Int
    /// Seqs between the old `hwm` and the batch's first seq that never arrived; 0 when contiguous.
    public var missing: UInt64
    /// The stream's high-water mark after this batch.
    public var highWaterMark: UInt64
    /// The seq to acknowledge once the batch is committed.
    public var throughSeq: UInt64

    /// Whether this batch opens a gap.
    public var isGap: Bool { missing > 0 }

    /// Creates a decision.
    public init(skip: Int, missing: UInt64, highWaterMark: UInt64, throughSeq: UInt64) {
        self.skip = skip
        self.missing = missing
        self.highWaterMark = highWaterMark
        self.throughSeq = throughSeq
    }

    /// Decides for a batch of `count` (≥ 1) records from `firstSeq` (≥ 1) against the stored `hwm`.
    public static func decide(highWaterMark hwm: UInt64, firstSeq: UInt64, count: Int) -> SequenceDecision {
        precondition(firstSeq > 0 && count > 0, "a batch has records and seqs start at 1")
        let lastSeq = firstSeq + UInt64(count) - 1
        if lastSeq <= hwm {
            return SequenceDecision(skip: count, missing: 0, highWaterMark: hwm, throughSeq: lastSeq)
        }
        let skip = firstSeq <= hwm ? Int(hwm - firstSeq + 1) : 0
        let missing = firstSeq > hwm + 1 ? firstSeq - hwm - 1 : 0
        return SequenceDecision(skip: skip, missing: missing, highWaterMark: lastSeq, throughSeq: lastSeq)
    }
}
