/// The shipper's protocol logic for one hub connection, without I/O: what to send, what may be
/// deleted, and when the hub broke the protocol.
///
/// Invariants:
/// - Nothing is sent before `Welcome`; then batches go out in seq order, at most `maxInFlight`
///   unacknowledged at a time, each within ``batchLimits``: the agent's own limits, lowered to what the
///   hub's `Welcome` says it takes (a batch over the hub's limit would be refused forever).
/// - Records are deleted only through a seq the hub acknowledged (`Welcome.resume_after_seq` or
///   `Ack.through_seq`), never beyond what was sent on this connection.
/// - An ack that goes backwards is ignored (acks are cumulative); one beyond what was sent, or any
///   frame other than `Ack`/`Reject` after `Welcome`, is a protocol error that ends the connection.
public struct ShipperStateMachine: Sendable {
    /// What the shell should do next.
    public enum Action: Sendable, Hashable {
        /// Send `Hello`.
        case sendHello
        /// Take the hub's `Welcome.resume_after_seq`: delete what the hub holds (``RecordBuffer/resume(after:)``).
        case resume(after: UInt64)
        /// Delete every buffered record with seq ≤ the value.
        case deleteThrough(UInt64)
        /// Read the next batch after `seq` and send it.
        case readBatch(after: UInt64)
        /// Nothing to send until an ack frees the window or new records arrive.
        case wait
        /// End the connection for the reason given.
        case close(reason: String)
    }

    enum Phase: Sendable, Hashable {
        case idle
        case awaitingWelcome
        case streaming
        case closed
    }

    struct InFlight: Sendable, Hashable {
        var firstSeq: UInt64
        var lastSeq: UInt64
    }

    /// The most records and encoded bytes in one batch.
    public struct BatchLimits: Sendable, Hashable {
        /// Records in one batch.
        public var maxRecords: Int
        /// Bytes of one encoded `Batch` frame.
        public var maxBytes: Int

        /// Creates limits.
        public init(maxRecords: Int, maxBytes: Int) {
            self.maxRecords = maxRecords
            self.maxBytes = maxBytes
        }
    }

    /// Batches that may be unacknowledged at once.
    public let maxInFlight: Int
    /// The agent's own batch limits (`shipping.max_batch_records`, `shipping.max_batch_bytes`).
    public let ownLimits: BatchLimits
    /// The limits batches are read with on this connection: ``ownLimits`` lowered to the hub's.
    public private(set) var batchLimits: BatchLimits
    private(set) var phase = Phase.idle
    private var inFlight: [InFlight] = []
    /// Highest seq sent on this connection (or confirmed by `Welcome`).
    public private(set) var sentThrough: UInt64 = 0
    /// Highest seq the hub acknowledged on this connection.
    public private(set) var ackedThrough: UInt64 = 0

    /// Creates the machine for a fresh connection.
    public init(maxInFlight: Int, limits: BatchLimits = BatchLimits(maxRecords: 1000, maxBytes: 1 << 20)) {
        precondition(maxInFlight > 0 && limits.maxRecords > 0 && limits.maxBytes > 0)
        self.maxInFlight = maxInFlight
        self.ownLimits = limits
        self.batchLimits = limits
    }

    /// Batches sent and not yet acknowledged.
    public var inFlightCount: Int { inFlight.count }

    /// The TLS connection is up.
    public mutating func connected() -> Action {
        phase = .awaitingWelcome
        return .sendHello
    }

    /// The hub answered `Hello`. Limits of 0 are ones the hub did not announce (an older hub).
    public mutating func welcomed(
        resumeAfterSeq: UInt64, maxBatchRecords: UInt32 = 0, maxBatchBytes: UInt32 = 0, maxFrameBytes: UInt32 = 0
    ) -> [Action] {
        guard phase == .awaitingWelcome else { return [close("Welcome received twice or before Hello")] }
        phase = .streaming
        sentThrough = resumeAfterSeq
        ackedThrough = resumeAfterSeq
        var limits = ownLimits
        if maxBatchRecords > 0 { limits.maxRecords = min(limits.maxRecords, Int(maxBatchRecords)) }
        for announced in [maxBatchBytes, maxFrameBytes] where announced > 0 {
            limits.maxBytes = min(limits.maxBytes, Int(announced))
        }
        batchLimits = limits
        return [.resume(after: resumeAfterSeq), .readBatch(after: resumeAfterSeq)]
    }

    /// Asks what to send next.
    public func nextSend() -> Action {
        guard phase == .streaming else { return .wait }
        return inFlight.count < maxInFlight ? .readBatch(after: sentThrough) : .wait
    }

    /// A batch of records `firstSeq...lastSeq` was read and is being written.
    public mutating func sending(firstSeq: UInt64, lastSeq: UInt64) -> Action {
        guard phase == .streaming else { return close("batch sent outside streaming") }
        guard firstSeq > sentThrough, lastSeq >= firstSeq else {
            return close("batch \(firstSeq)...\(lastSeq) does not follow seq \(sentThrough)")
        }
        inFlight.append(InFlight(firstSeq: firstSeq, lastSeq: lastSeq))
        sentThrough = lastSeq
        return nextSend()
    }

    /// The hub acknowledged every record through `seq`.
    public mutating func acked(through seq: UInt64) -> [Action] {
        guard phase == .streaming else { return [close("Ack before Welcome")] }
        if seq > sentThrough { return [close("Ack through \(seq) beyond the last seq sent (\(sentThrough))")] }
        guard seq > ackedThrough else { return [] }
        ackedThrough = seq
        inFlight.removeAll { $0.lastSeq <= seq }
        if let first = inFlight.first, first.firstSeq <= seq {
            // Partially acknowledged batch: the rest is still in flight.
            inFlight[0].firstSeq = seq + 1
        }
        return [.deleteThrough(seq), nextSend()]
    }

    /// Any other frame after `Welcome`, or before it.
    public mutating func unexpected(_ what: String) -> Action {
        close("unexpected \(what) from the hub")
    }

    private mutating func close(_ reason: String) -> Action {
        phase = .closed
        return .close(reason: reason)
    }
}
