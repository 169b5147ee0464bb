import Foundation
import GRDB
import Testing
import VigilProtocol
import VigilTestSupport

@testable import VigilAgent

@Suite("Record buffer")
struct RecordBufferTests {
    static func records(_ n: Int, size: Int = 100, tag: UInt8 = 0) -> [[UInt8]] {
        (0..<n).map { i in
            [tag] + withUnsafeBytes(of: UInt32(i).bigEndian, Array.init)
                + [UInt8](repeating: 7, count: max(0, size - 5))
        }
    }

    func open(_ directory: String, maxBytes: Int = 1 << 30, whenFull: FullPolicy = .dropOldest) throws -> RecordBuffer {
        try RecordBuffer.open(
            BufferOptions(path: "\(directory)/agent.db", maxBytes: maxBytes, whenFull: whenFull),
            nowUnixNano: 1_700_000_000_000_000_000
        )
    }

    @Test("seqs keep increasing across reopen, even after every record was deleted")
    func seqsNeverReused() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let streamID: Data
        do {
            let buffer = try open(directory)
            streamID = buffer.streamID
            let outcome = try await buffer.append([Self.records(10)]).get()
            #expect(outcome.first?.firstSeq == 1 && outcome.first?.stored == 10)
            #expect(try await buffer.deleteThrough(10) == 10)
            #expect(buffer.stats.records == 0 && buffer.stats.bytes == 0)
        }
        let reopened = try open(directory)
        #expect(reopened.streamID == streamID)
        let outcome = try await reopened.append([Self.records(1)]).get()
        #expect(outcome.first?.firstSeq == 11)
        #expect(reopened.stats.counters.accepted == 11 && reopened.stats.counters.shipped == 10)
    }

    @Test("a batch read is consecutive, bounded by records and bytes, and equals the stored bytes")
    func readBatchBounds() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try open(directory)
        let stored = Self.records(50, size: 1000)
        _ = try await buffer.append([stored]).get()
        let byCount = try #require(try await buffer.readBatch(after: 0, maxRecords: 10, maxBytes: 1 << 20))
        #expect(byCount.firstSeq == 1 && byCount.lastSeq == 10 && byCount.recordCount == 10)
        let byBytes = try #require(try await buffer.readBatch(after: 10, maxRecords: 1000, maxBytes: 5000))
        #expect(byBytes.firstSeq == 11 && byBytes.recordCount == 4 && byBytes.frame.frameBytes <= 5000)
        let tooSmall = try #require(try await buffer.readBatch(after: 0, maxRecords: 1000, maxBytes: 10))
        #expect(tooSmall.recordCount == 1, "a single record larger than max bytes still ships alone")
        #expect(try await buffer.readBatch(after: 50, maxRecords: 10, maxBytes: 1 << 20) == nil)
    }

    @Test("drop_oldest deletes the oldest records at the cap and counts every one")
    func dropOldestAtCap() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let perRecord = 100 + RecordBuffer.rowOverheadBytes
        let buffer = try open(directory, maxBytes: perRecord * 100, whenFull: .dropOldest)
        for round in 0..<3 {
            let outcomes = try await buffer.append([Self.records(60, tag: UInt8(round))]).get()
            #expect(outcomes.first?.stored == 60 && outcomes.first?.rejections.isEmpty == true)
        }
        let stats = buffer.stats
        #expect(stats.bytes <= perRecord * 100)
        #expect(UInt64(stats.records) + stats.counters.dropped == 180)
        #expect(stats.counters.dropped >= 80)
        // What is left is the newest records, contiguous up to the last seq.
        let batch = try #require(try await buffer.readBatch(after: 0, maxRecords: 1000, maxBytes: 1 << 20))
        #expect(batch.lastSeq == 180 && batch.recordCount == stats.records)
    }

    @Test("reject_new refuses records at the cap with a reason and stores nothing more")
    func rejectNewAtCap() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let perRecord = 100 + RecordBuffer.rowOverheadBytes
        let buffer = try open(directory, maxBytes: perRecord * 100, whenFull: .rejectNew)
        let outcomes = try await buffer.append([Self.records(70), Self.records(70)]).get()
        #expect(outcomes[0].stored == 70)
        #expect(outcomes[1].stored == 30 && outcomes[1].rejections.count == 40)
        #expect(outcomes[1].rejections.first?.index == 30)
        #expect(outcomes[1].rejections.first?.reason.contains("reject_new") == true)
        #expect(
            buffer.stats.records == 100 && buffer.stats.counters.rejectedFull == 40
                && buffer.stats.counters.dropped == 0)
        _ = try await buffer.deleteThrough(50)
        #expect(try await buffer.append([Self.records(50)]).get().first?.stored == 50, "space returns after acks")
    }

    @Test("a corrupt database file is moved aside, kept, and a fresh buffer starts with the recovery counted")
    func corruptFileMovedAside() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        try garbage.write(to: URL(fileURLWithPath: "\(directory)/agent.db"))
        let buffer = try open(directory)
        #expect(buffer.stats.counters.corruptRecoveries == 1)
        #expect(try await buffer.append([Self.records(3)]).get().first?.stored == 3)
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasPrefix("agent.db.corrupt-")
        }
        #expect(aside == ["agent.db.corrupt-1700000000"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(aside[0])")) == garbage)
    }

    @Test("a database whose pages are damaged fails quick_check and is moved aside")
    func damagedPagesMovedAside() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let buffer = try open(directory)
            _ = try await buffer.append([Self.records(2000, size: 200)]).get()
            try await buffer.pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        }
        // Overwrite the middle of the file (table b-tree pages) with garbage, keeping the header.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: "\(directory)/agent.db"))
        try handle.seek(toOffset: 8192)
        handle.write(Data(repeating: 0xA5, count: 64 * 1024))
        try handle.close()
        let buffer = try open(directory)
        #expect(buffer.stats.counters.corruptRecoveries == 1)
        #expect(buffer.stats.records == 0)
    }

    @Test("a full disk refuses the write, keeps what was stored, and writing resumes when space returns")
    func diskFullRefusesThenResumes() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try open(directory)
        _ = try await buffer.append([Self.records(100)]).get()
        let pages = try await buffer.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        // SQLite's own size limit stands in for a full filesystem: the write fails with SQLITE_FULL.
        try await buffer.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        let result = await buffer.append([Self.records(5000, size: 500)])
        guard case .failure(let error) = result else {
            Issue.record("expected the write to fail")
            return
        }
        #expect(error.code == .full)
        #expect(buffer.stats.records == 100 && buffer.stats.counters.writeFailures == 5000)
        try await buffer.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823")
        }
        let resumed = try await buffer.append([Self.records(5)]).get()
        #expect(resumed.first?.firstSeq == 101 && resumed.first?.stored == 5)
    }

    @Test("write failures counted while other writes run are all kept: one owner for the counters")
    func writeFailuresNotLostToConcurrentWriters() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buffer = try open(directory)
        _ = try await buffer.append([Self.records(6000, size: 100)]).get()
        let pages = try await buffer.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await buffer.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        let failing = Self.records(2000, size: 1000)
        // Each failing append races a delete that succeeds; the delete's writer closure saves the whole state it
        // copied when it began, so a failure counted after the failing writer let go was overwritten.
        for round in 1...300 {
            async let failed = buffer.append([failing])
            async let deleted = buffer.deleteThrough(UInt64(round * 20))
            _ = await failed
            _ = try await deleted
        }
        #expect(buffer.stats.counters.writeFailures == 300 * 2000)
        #expect(buffer.stats.records == 0)
    }

    @Test("times given to client event ids outlive a restart, and only the newest are kept")
    func stampedTimesSurviveRestart() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = BufferOptions(path: "\(directory)/agent.db")
        options.rememberedTimes = 8
        let ids = (0..<20).map { n in Data((0..<16).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) }) }
        do {
            let buffer = try RecordBuffer.open(options, nowUnixNano: 1)
            for (n, id) in ids.enumerated() {
                #expect(buffer.stampedTimes.time(for: id, now: Int64(1000 + n)) == Int64(1000 + n))
                _ = try await buffer.append([Self.records(1)]).get()
            }
        }
        let reopened = try RecordBuffer.open(options, nowUnixNano: 2)
        // A retry of the newest ids after the restart gets the first attempt's time; the oldest were forgotten.
        #expect(reopened.stampedTimes.time(for: ids[19], now: 9_999) == 1019)
        #expect(reopened.stampedTimes.time(for: ids[12], now: 9_999) == 1012)
        #expect(reopened.stampedTimes.time(for: ids[0], now: 9_999) == 9_999)
        let rows = try await reopened.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM stamped_times")
        }
        #expect((rows ?? 0) <= 8 + 8 / 4)
    }

    @Test("buffer.durability reaches the writer: full syncs every commit, normal does not")
    func durabilityReachesTheWriter() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (durability, expected) in [(Durability.full, 2), (.normal, 1)] {
            let buffer = try RecordBuffer.open(
                BufferOptions(path: "\(directory)/\(durability).db", durability: durability), nowUnixNano: 1)
            #expect(try await buffer.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == expected)
        }
    }
}
