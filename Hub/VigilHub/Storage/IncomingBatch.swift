import Foundation
import VigilProtocol

/// One validated `Batch` from one authenticated agent stream, on its way to the store.
public struct IncomingBatch: Sendable {
    /// The agent, as authenticated by its certificate and `Hello`.
    public var agentID: String
    /// The stream's 16-byte id from `Hello`.
    public var streamID: Data
    /// The seq of `records[0]`; the records carry consecutive seqs.
    public var firstSeq: UInt64
    /// The records, already checked by `RecordValidator`; at least one. A record refused by authorization
    /// keeps its place (so the seqs stay consecutive and the stream's hwm moves past it) with its body removed,
    /// and is listed in ``refusals``; stores skip records without a body.
    public var records: [Vigil_V1_Record]
    /// The records refused because the agent may not speak for their service, by position in ``records``.
    public var refusals: [Refusal] = []
    /// The last seq this connection sent before this batch (the resume seq for its first batch).
    /// The batch is stored only if the stream's hwm has reached it: if an earlier batch of the same
    /// connection failed, storing a later one would move the hwm past the failed records, and the
    /// agent, resuming from that hwm, would delete records the hub never stored.
    public var previousSeq: UInt64

    /// Creates a batch.
    public init(
        agentID: String, streamID: Data, firstSeq: UInt64, records: [Vigil_V1_Record], previousSeq: UInt64 = 0
    ) {
        self.agentID = agentID
        self.streamID = streamID
        self.firstSeq = firstSeq
        self.records = records
        self.previousSeq = previousSeq
    }

    /// The seq of the last record.
    public var lastSeq: UInt64 { firstSeq + UInt64(records.count) - 1 }

    /// One refused record.
    public struct Refusal: Sendable, Hashable {
        /// Its position in ``IncomingBatch/records``.
        public var position: Int
        /// Which source refused it.
        public var reason: RefusalReason
        /// The service it spoke for.
        public var service: String

        /// Creates a refusal.
        public init(position: Int, reason: RefusalReason, service: String) {
            self.position = position
            self.reason = reason
            self.service = service
        }
    }

    /// The refusals a store counts once ``SequenceDecision`` skipped the first `skip` records as already
    /// stored, by reason, with the last service refused for each: what a store adds to the agent's refusal
    /// counts in the same transaction.
    public func refusalCounts(skipping skip: Int) -> [RefusalReason: (records: Int, lastService: String)] {
        var counts: [RefusalReason: (records: Int, lastService: String)] = [:]
        for refusal in refusals where refusal.position >= skip {
            counts[refusal.reason, default: (0, "")].records += 1
            counts[refusal.reason]?.lastService = refusal.service
        }
        return counts
    }
}

/// What committing one ``IncomingBatch`` did.
public struct BatchOutcome: Sendable, Hashable {
    /// The seq to acknowledge: every record of the batch is durably stored (or was before).
    public var throughSeq: UInt64
    /// Events newly stored.
    public var events = 0
    /// Samples newly stored.
    public var samples = 0
    /// Records skipped because their seq was at or below the stream's high-water mark.
    public var duplicateSeqs = 0
    /// Events skipped because an event with the same id and time was already stored (from any agent).
    public var duplicateEvents = 0
    /// Seqs missing before this batch (0 when it followed on).
    public var missing: UInt64 = 0
    /// Records not stored because the agent may not speak for their service (beyond those skipped as
    /// duplicates): acknowledged with the batch, counted per agent and reason, never resent.
    public var refused = 0
    /// True when nothing was stored because an earlier batch of the connection is not stored
    /// (see ``IncomingBatch/previousSeq``); the connection must end so the agent resumes from the hwm.
    public var predecessorMissing = false

    /// Creates an outcome.
    public init(throughSeq: UInt64) {
        self.throughSeq = throughSeq
    }

    /// Records newly stored.
    public var stored: Int { events + samples }
    /// Records skipped as duplicates of either kind.
    public var duplicates: Int { duplicateSeqs + duplicateEvents }
}
