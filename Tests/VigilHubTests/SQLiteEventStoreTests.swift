import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import VigilProtocol
import VigilTestSupport

@testable import VigilHub

@Suite("SQLite event store")
struct SQLiteEventStoreTests: StoreTestInput {

    @Test("durability full syncs every commit (synchronous FULL on the writer); normal does not")
    func durabilityReachesTheWriter() async throws {
        let dir = TemporaryDirectory()
        let full = try SQLiteEventStore.open(path: dir.file("full.db"))
        #expect(try await full.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
        let normal = try SQLiteEventStore.open(path: dir.file("normal.db"), durability: .normal)
        #expect(try await normal.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1)
    }

    @Test("every stored record names its stream, so (agent, stream, seq) identifies it across a wiped agent")
    func recordsNameTheirStream() async throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: dir.file("hub.db"))
        _ = try await store.openStream(hello(stream: 1), at: now)
        _ = try await store.commit([batch(stream: 1, first: 1, Records.events(1...3) + [Records.sample(4)])], at: now)
        // The agent's database was wiped: a new stream starts again at seq 1 (without a Hello of its own here).
        _ = try await store.commit([batch(stream: 2, first: 1, Records.events(11...12))], at: now)
        let rows = try await store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT n.stream_id, r.seq FROM (SELECT stream, seq FROM events UNION ALL SELECT stream, seq FROM samples) r
                    JOIN stream_numbers n ON n.n = r.stream ORDER BY n.stream_id, r.seq
                    """
            ).map { "\(($0[0] as Data).last!) \($0[1] as Int64)" }
        }
        #expect(rows == ["1 1", "1 2", "1 3", "1 4", "2 1", "2 2"])
    }

    @Test("the high-water mark and totals survive closing and reopening the database")
    func survivesReopen() async throws {
        let dir = TemporaryDirectory()
        do {
            let store = try SQLiteEventStore.open(path: dir.file("hub.db"))
            _ = try await store.openStream(hello(), at: now)
            _ = try await store.commit([batch(first: 1, Records.events(1...42))], at: now)
        }
        let reopened = try SQLiteEventStore.open(path: dir.file("hub.db"))
        #expect(try await reopened.openStream(hello(), at: now) == 42)
        #expect(try await reopened.totals().events == 42)
        #expect(
            try reopened.appliedMigrations() == [
                "v1-streams-agents-records", "v2-alert-state", "v2-minute-rollups", "v3-drop-events-by-agent",
                "v4-record-streams", "v5-decision-state", "v6-hourly-rollups", "v7-refusals",
            ])
    }

    @Test("attributes with quotes, backslashes, control characters and non-ASCII text read back unchanged")
    func attributesRoundTrip() async throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: dir.file("hub.db"))
        _ = try await store.openStream(hello(), at: now)
        let attributes = [
            "plain": "/api/cart", "quote\"d": "say \"hi\"", "back\\slash": "C:\\tmp", "lines": "a\nb\r\tc",
            "bell": "\u{07}\u{1F}", "ünï": "çødé ☃", "empty": "",
        ]
        var record = Records.event(1)
        record.event.attributes = attributes
        _ = try await store.commit([batch(first: 1, [record])], at: now)
        let stored = try await store.records(matching: RecordQuery())
        guard stored.count == 1, case .event(let event) = stored[0].body else {
            Issue.record("expected one stored event, got \(stored.count) records")
            return
        }
        #expect(event.attributes == attributes)
        // Stored as JSON with sorted keys, so equal maps are equal text.
        let text = try await DatabaseQueue(path: dir.file("hub.db")).read { db in
            try String.fetchOne(db, sql: "SELECT attributes FROM events")
        }
        #expect(
            text == #"{"back\\slash":"C:\\tmp","bell":"\u0007\u001f","empty":"","lines":"a\nb\r\tc","#
                + #""plain":"/api/cart","quote\"d":"say \"hi\"","ünï":"çødé ☃"}"#)
    }

    @Test("committed pages reach the main database file without the writer checkpointing")
    func walIsCheckpointedBesideTheWriter() async throws {
        let dir = TemporaryDirectory()
        let path = dir.file("hub.db")
        let store = try SQLiteEventStore.open(path: path)
        _ = try await store.openStream(hello(), at: now)
        func mainFileBytes() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0
        }
        let before = mainFileBytes()
        // About 2 MB of pages: far below the writer's own automatic checkpoint (16,000 pages), so
        // only the background checkpointer can move them into the main file.
        _ = try await store.commit([batch(first: 1, Records.events(1...10_000))], at: now)
        let grown = await eventually(10) { mainFileBytes() > before + 1_000_000 }
        #expect(grown, "main file \(mainFileBytes()) bytes, was \(before)")
        #expect(try await store.totals().events == 10_000)
    }

}

extension SQLiteEventStoreTests {
    @Test("the commit queue reports when it is above its bound, so the receiver stops reading, and drains")
    func committerBound() async throws {
        let dir = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: dir.file("hub.db"))
        let committer = BatchCommitter(store: store, maxQueuedRecords: 5, now: { [now] in now })
        let results = ResultBox()
        committer.submit(batch(first: 1, Records.events(1...4))) { results.add($0) }
        #expect(!committer.isAboveBound)
        committer.submit(batch(first: 5, Records.events(5...8))) { results.add($0) }
        #expect(committer.isAboveBound)
        #expect(committer.queuedRecords == 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await committer.run() }
            while results.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
        #expect(!committer.isAboveBound)
        #expect(committer.queuedRecords == 0)
        // After shutdown nothing more is taken; the refusal is reported, not dropped silently.
        committer.submit(batch(first: 9, Records.events(9...9))) { results.add($0) }
        #expect(results.failures == 1)
    }
}

final class ResultBox: Sendable {
    private let state = Mutex<(ok: Int, failed: Int)>((0, 0))
    func add(_ result: Result<BatchOutcome, StoreError>) {
        state.withLock { s in
            if case .success = result { s.ok += 1 } else { s.failed += 1 }
        }
    }
    var count: Int { state.withLock { $0.ok + $0.failed } }
    var failures: Int { state.withLock { $0.failed } }
}
