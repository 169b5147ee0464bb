import NIOCore

/// Builds a `Frame { batch: Batch { first_seq, records, backlog_records } }` wire frame from records that are already
/// protobuf-encoded, without decoding or re-encoding them.
///
/// The agent stores each record as its encoded `Record` bytes; shipping a batch is then a matter of
/// concatenating them behind the right tags and lengths. The output is byte-for-byte what
/// swift-protobuf would produce for the same message (fields in number order, proto3 defaults omitted).
public struct BatchFrameBuilder: Sendable {
    /// The seq of the first record added.
    public let firstSeq: UInt64
    /// Records added so far.
    public private(set) var recordCount = 0
    /// `Batch.backlog_records`: what the agent still holds after this batch's last record, set just before the
    /// frame is written (it is sent as of then, not as of when the records were read).
    public var backlogRecords: UInt64 = 0
    /// The most bytes `backlog_records` can add to a frame (its tag, a 10-byte varint, and one more byte of the
    /// batch's length): a batch sized before its backlog is known keeps this much room.
    public static let backlogFieldMaxBytes = 12
    private var section: ByteBuffer

    /// Starts a batch whose first record will carry `firstSeq`.
    public init(firstSeq: UInt64, reservingCapacity capacity: Int = 64 * 1024) {
        self.firstSeq = firstSeq
        self.section = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Adds one encoded `Record`.
    public mutating func append(encodedRecord bytes: some Collection<UInt8>) {
        section.writeInteger(BatchFrameBuilder.recordsTag)
        section.writeVarint(UInt64(bytes.count))
        section.writeBytes(bytes)
        recordCount += 1
    }

    /// Adds one encoded `Record` from raw memory (for example a SQLite blob).
    public mutating func append(encodedRecord bytes: UnsafeRawBufferPointer) {
        section.writeInteger(BatchFrameBuilder.recordsTag)
        section.writeVarint(UInt64(bytes.count))
        section.writeBytes(bytes)
        recordCount += 1
    }

    /// Size of the complete frame, length prefix included, if it were written now.
    public var frameBytes: Int {
        let batch = batchBodyBytes
        return FrameParser.prefixBytes + 1 + ByteBuffer.varintSize(UInt64(batch)) + batch
    }

    /// Size the frame would have after adding a record of `recordBytes` bytes.
    public func frameBytes(adding recordBytes: Int) -> Int {
        let batch = batchBodyBytes + 1 + ByteBuffer.varintSize(UInt64(recordBytes)) + recordBytes
        return FrameParser.prefixBytes + 1 + ByteBuffer.varintSize(UInt64(batch)) + batch
    }

    /// Writes the length-prefixed frame to `out`.
    public func write(into out: inout ByteBuffer) {
        let batch = batchBodyBytes
        let frame = 1 + ByteBuffer.varintSize(UInt64(batch)) + batch
        out.reserveCapacity(minimumWritableBytes: FrameParser.prefixBytes + frame)
        out.writeInteger(UInt32(frame), endianness: .big)
        out.writeInteger(BatchFrameBuilder.frameBatchTag)
        out.writeVarint(UInt64(batch))
        if firstSeq != 0 {
            out.writeInteger(BatchFrameBuilder.firstSeqTag)
            out.writeVarint(firstSeq)
        }
        out.writeImmutableBuffer(section)
        if backlogRecords != 0 {
            out.writeInteger(BatchFrameBuilder.backlogTag)
            out.writeVarint(backlogRecords)
        }
    }

    private var batchBodyBytes: Int {
        (firstSeq == 0 ? 0 : 1 + ByteBuffer.varintSize(firstSeq)) + section.readableBytes
            + (backlogRecords == 0 ? 0 : 1 + ByteBuffer.varintSize(backlogRecords))
    }

    // Tags are (field_number << 3) | wire_type; wire type 0 = varint, 2 = length-delimited.
    private static let frameBatchTag: UInt8 = (3 << 3) | 2  // Frame.batch = 3
    private static let firstSeqTag: UInt8 = (1 << 3) | 0  // Batch.first_seq = 1
    private static let recordsTag: UInt8 = (2 << 3) | 2  // Batch.records = 2
    private static let backlogTag: UInt8 = (3 << 3) | 0  // Batch.backlog_records = 3
}

extension ByteBuffer {
    /// Appends `value` as a protobuf base-128 varint.
    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        writeInteger(UInt8(v))
    }

    /// Bytes a protobuf varint of `value` occupies.
    @inlinable
    public static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }
}
