import Foundation
import GRDB
import Testing
import VigilTestSupport

@testable import VigilAgent

/// `Welcome.resume_after_seq` against a buffer that went back in time (a damaged WAL whose latest
/// commits SQLite dropped on open): records acknowledged to clients after the rewind must be shipped,
/// not deleted as if the hub had them. Found by the reliability harness's damaged-WAL scenario.
@Suite("Record buffer resume")
struct RecordBufferResumeTests {
    func open(_ directory: String) throws -> RecordBuffer {
        try RecordBuffer.open(
            BufferOptions(path: "\(directory)/agent.db", maxBytes: 1 << 30, whenFull: .dropOldest),
            nowUnixNano: 1_700_000_000_000_000_000)
    }

    @Test("records a rewound buffer holds at or below the hub's seq are renumbered past it and shipped")
    func rewoundBufferShipsNewRecords() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            // The hub stored seqs 1...10 of this stream; then the agent's database lost those commits.
            let buffer = try open(directory)
            _ = try await buffer.append([RecordBufferTests.records(10)]).get()
            #expect(try await buffer.resume(after: 10) == 10)
        }
        let queue = try DatabaseQueue(path: "\(directory)/agent.db")
        try await queue.write { db in try db.execute(sql: "UPDATE meta SET value = 1 WHERE key = 'next_seq'") }
        try queue.close()

        let rewound = try open(directory)
        let fresh = RecordBufferTests.records(5, tag: 9)
        #expect(try await rewound.append([fresh]).get().first?.firstSeq == 1, "the rewind reuses seqs 1...5")
        #expect(try await rewound.resume(after: 10) == 0, "nothing the hub has not seen is deleted")
        let batch = try #require(try await rewound.readBatch(after: 10, maxRecords: 100, maxBytes: 1 << 20))
        #expect(batch.firstSeq == 11 && batch.lastSeq == 15 && batch.recordCount == 5)
        #expect(try await rewound.append([RecordBufferTests.records(1)]).get().first?.firstSeq == 16)
        #expect(rewound.stats.records == 6)
    }

    @Test("an ordinary resume deletes what the hub holds and renumbers nothing")
    func ordinaryResume() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try open(directory)
        _ = try await buffer.append([RecordBufferTests.records(10)]).get()
        #expect(try await buffer.resume(after: 4) == 4)
        let batch = try #require(try await buffer.readBatch(after: 4, maxRecords: 100, maxBytes: 1 << 20))
        #expect(batch.firstSeq == 5 && batch.lastSeq == 10)
        #expect(try await buffer.append([RecordBufferTests.records(1)]).get().first?.firstSeq == 11)
    }
}
