import Foundation
import GRDB
import Logging
import VigilProtocol
import VigilTestSupport

@testable import VigilAgent

/// A real buffer, committer and ingest socket in a temp directory.
final class IngestHarness {
    let directory: String
    let buffer: RecordBuffer
    let committer: GroupCommitter
    let listener: IngestListener
    let stats = IngestStats()
    private let tasks: [Task<Void, Never>]

    var socketPath: String { "\(directory)/agent.sock" }

    init(
        maxBytes: Int = 1 << 30,
        whenFull: FullPolicy = .dropOldest,
        maxFrameBytes: Int = 1 << 20,
        maxLineBytes: Int = 64 << 10
    ) async throws {
        directory = try makeTemporaryDirectory("ingest")
        buffer = try RecordBuffer.open(
            BufferOptions(path: "\(directory)/agent.db", maxBytes: maxBytes, whenFull: whenFull),
            nowUnixNano: 1_700_000_000_000_000_000
        )
        committer = GroupCommitter(buffer: buffer)
        let context = IngestContext(
            preparer: RecordPreparer(service: "checkout", version: "1.4.0"),
            committer: committer,
            stats: stats,
            maxFrameBytes: maxFrameBytes,
            maxLineBytes: maxLineBytes
        )
        listener = IngestListener(socketPath: "\(directory)/agent.sock", context: context)
        try await listener.bind()
        let committer = self.committer
        let listener = self.listener
        tasks = [
            Task { await committer.run() },
            Task { try? await listener.run() },
        ]
    }

    func shutdown() async {
        for task in tasks.reversed() {
            task.cancel()
            await task.value
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every stored record, decoded, in seq order.
    func storedRecords() async throws -> [Vigil_V1_Record] {
        try await buffer.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT bytes FROM records ORDER BY seq").map {
                try Vigil_V1_Record(serializedBytes: $0)
            }
        }
    }

    static func event(_ i: Int, name: String = "request") -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        event.eventID = Data((0..<16).map { UInt8(truncatingIfNeeded: i &* 7 &+ $0) })
        event.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i)
        event.name = name
        event.outcome = .ok
        event.durationMs = 5
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }

    static func frame(_ record: Vigil_V1_Record) throws -> [UInt8] {
        let bytes: [UInt8] = try record.serializedBytes()
        return withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
    }

    static func decodeAcks(_ bytes: [UInt8]) throws -> [Vigil_V1_IngestAck] {
        var acks: [Vigil_V1_IngestAck] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length =
                Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
            guard offset + 4 + length <= bytes.count else { break }
            acks.append(try Vigil_V1_IngestAck(serializedBytes: Array(bytes[(offset + 4)..<(offset + 4 + length)])))
            offset += 4 + length
        }
        return acks
    }
}
