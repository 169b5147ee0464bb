import Foundation
import GRDB
import Testing
import VigilAnalytics
import VigilProtocol
import VigilTestSupport

@testable import VigilHub

/// Commits that fold what they store into the minute rollups (the hub's way), checked against the rollup
/// job reading the same records back, on real SQLite stores.
@Suite("Rollups folded by commits")
struct CommitRollupTests {
    static let minute = RollupTests.minute

    /// Three agents' traffic over five minutes: errors with categories, feedback scores, samples with and
    /// without their own labels, events another agent already stored (alone and amid new ones in one
    /// multi-row insert), and late events after later minutes were stored.
    static func traffic() -> [(host: String, labels: [String: String], records: [Vigil_V1_Record])] {
        var rng = SplitMix64(seed: 11)
        func event(_ n: Int, minute: Int64, version: String) -> Vigil_V1_Record {
            let failed = rng.unit() < 0.15
            let feedback = n % 17 == 0
            return RollupTests.event(
                n, minute: minute, second: Int64(rng.next() % 60), version: version,
                name: feedback ? MinuteRollup.feedbackName : "request", failed: failed,
                category: failed ? ["timeout", "db", ""][Int(rng.next() % 3)] : "",
                durationMs: 1 + rng.unit() * 800, attributes: feedback ? ["score": "\(rng.next() % 12)"] : [:])
        }
        func sample(_ n: Int, minute: Int64, labels: [String: String] = [:]) -> Vigil_V1_Record {
            var sample = Vigil_V1_Sample()
            sample.timeUnixNano = minute * 60_000_000_000 + Int64(n) * 1_000_000
            sample.metric = n % 2 == 0 ? "cpu.utilization" : "queue.depth"
            sample.value = rng.unit() * 100
            sample.labels = labels
            return Vigil_V1_Record.with { $0.sample = sample }
        }
        var first: [Vigil_V1_Record] = []
        for n in 0..<700 {
            first.append(event(n, minute: minute - 4 + Int64(n / 175), version: "1.0.0"))
            if n % 50 == 0 { first.append(sample(n, minute: minute - 4 + Int64(n / 175))) }
        }
        first.append(sample(9_999, minute: minute, labels: ["service": "checkout", "version": "2.0.0"]))
        var second: [Vigil_V1_Record] = []
        for n in 1000..<1300 {
            second.append(event(n, minute: minute - Int64(n % 3), version: "2.0.0"))
            // Every seventh record repeats one of the first agent's events; 64 in a row fill whole inserts.
            if n % 7 == 0 { second.append(first.filter { $0.event.eventID.count > 0 }[n % 600]) }
        }
        second += first.filter { $0.event.eventID.count > 0 }.prefix(64)
        let late = (2000..<2100).map { event($0, minute: minute - 4, version: "1.0.0") }
        return [
            ("h01", ["service": "checkout", "version": "1.0.0"], first),
            ("h02", ["service": "checkout", "version": "2.0.0"], second),
            ("h03", ["service": "checkout", "version": "1.0.0"], late),
        ]
    }

    static func store(_ directory: TemporaryDirectory, rollsUpOnCommit: Bool) throws -> SQLiteEventStore {
        try SQLiteEventStore.open(path: directory.file("hub.db"), rollsUpOnCommit: rollsUpOnCommit)
    }

    static func commitAll(to store: SQLiteEventStore) async throws {
        for (host, labels, records) in traffic() {
            // Batches of 97 records: the multi-row inserts and the batches do not line up.
            try await Traffic.commit(records, as: host, labels: labels, to: store, batchRecords: 97)
        }
    }

    struct Rollups: Equatable {
        /// The cells without their sums and sketches.
        var events: [String: EventCell] = [:]
        /// The sketches' bins and extremes.
        var sketches: [String: [String]] = [:]
        /// The durations' sums: folded in other groupings, the same durations may sum to another last bit.
        var durationSums: [String: [Double]] = [:]
        var errors: [String] = []
        var samples: [String: SampleCell] = [:]
    }

    static func rollups(_ store: SQLiteEventStore) async throws -> Rollups {
        let minutes = (minute - 10)...(minute + 10)
        var result = Rollups()
        for row in try await store.eventRollups(service: "checkout", minutes: minutes) {
            let key = "\(row.key.minute) \(row.key.version) \(row.key.host) \(row.key.name)"
            var cell = row.cell
            let sketch = cell.sketch
            result.sketches[key] = [
                "\(sketch.positive)", "\(sketch.negative)", "\(sketch.zeroCount)", "\(sketch.min ?? .nan)",
                "\(sketch.max ?? .nan)",
            ]
            result.durationSums[key] = [cell.durationSum, sketch.sum]
            cell.durationSum = 0
            cell.sketch = DDSketch()
            result.events[key] = cell
        }
        result.errors = try await store.errorCategories(
            service: "checkout", recent: (minute - 10)..<(minute + 10), previous: 0..<1
        ).map { "\($0.version) \($0.category) \($0.recent)" }
        for row in try await store.sampleRollups(service: "checkout", minutes: minutes) {
            result.samples["\(row.key.minute) \(row.key.version) \(row.key.host) \(row.key.metric)"] = row.cell
        }
        return result
    }

    @Test("commits fold exactly the cells the rollup job makes, and leave the job nothing to read back")
    func sameCellsAsTheJob() async throws {
        let foldingDirectory = TemporaryDirectory()
        let folding = try Self.store(foldingDirectory, rollsUpOnCommit: true)
        try await Self.commitAll(to: folding)
        let jobDirectory = TemporaryDirectory()
        let job = try Self.store(jobDirectory, rollsUpOnCommit: false)
        try await Self.commitAll(to: job)
        #expect(
            await RollupService(store: job, keep: .seconds(86_400), chunkSize: 250, now: { 0 }).catchUp().events > 0)

        let leftOver = try await folding.rollUp(limit: 100_000)
        #expect(leftOver.events == 0 && leftOver.samples == 0)
        let marks = try await folding.rollupWatermarks()
        #expect(marks == (try await job.rollupWatermarks()))
        #expect(marks.events == (try await folding.lastEventRowid()))

        let folded = try await Self.rollups(folding)
        let readBack = try await Self.rollups(job)
        #expect(folded.events == readBack.events)
        #expect(folded.sketches == readBack.sketches)
        #expect(folded.errors == readBack.errors)
        #expect(folded.samples == readBack.samples)
        #expect(Set(folded.durationSums.keys) == Set(readBack.durationSums.keys))
        for (key, sums) in folded.durationSums {
            let other = try #require(readBack.durationSums[key])
            for (sum, otherSum) in zip(sums, other) { #expect(abs(sum - otherSum) < 1e-9 * max(1, sum), "\(key)") }
        }
        // Every stored event counted once: the repeats of the first agent's events are not.
        let stored = try await folding.totals().events
        #expect(folded.events.values.reduce(0) { $0 + $1.count } == Int64(stored))
        #expect(folded.samples.values.reduce(0) { $0 + $1.count } == 15)
    }

    @Test("a commit catches up rollups a little behind, and leaves rollups far behind to the job until it is done")
    func handsOverWithTheJob() async throws {
        let directory = TemporaryDirectory()
        let behind = Int(CommitRollup.catchUpRows) + 1
        do {
            let jobOnly = try Self.store(directory, rollsUpOnCommit: false)
            try await Traffic.commit(
                (0..<behind).map { RollupTests.event($0, second: Int64($0 % 60)) }, as: "h01", labels: [:],
                to: jobOnly)
        }
        let store = try Self.store(directory, rollsUpOnCommit: true)
        try await Traffic.commit(
            (0..<10).map { RollupTests.event(100_000 + $0) }, as: "h02", labels: [:], to: store)
        // Too far behind: the commit stored its events but left the rollups (and the watermark) to the job.
        #expect(try await store.rollupWatermarks().events == 0)
        #expect(try await store.rollUp(limit: behind - 5).events == behind - 5)
        // Now 15 behind: the next commit reads those back and folds its own.
        try await Traffic.commit(
            (0..<10).map { RollupTests.event(200_000 + $0) }, as: "h03", labels: [:], to: store)
        let total = behind + 20
        #expect(try await store.rollupWatermarks().events == Int64(total))
        #expect(try await store.rollUp(limit: 100).events == 0)
        let rows = try await RollupTests.rows(store)
        #expect(rows.reduce(0) { $0 + $1.cell.count } == Int64(total))
    }
}

extension CommitRollupTests {
    @Test("a damaged rollup cell does not stop ingest: the records are stored and left to the job")
    func damagedCellLeavesRollupsToTheJob() async throws {
        let directory = TemporaryDirectory()
        let store = try Self.store(directory, rollsUpOnCommit: true)
        try await Traffic.commit((0..<10).map { RollupTests.event($0) }, as: "h01", labels: [:], to: store)
        #expect(try await store.rollupWatermarks().events == 10)
        let damage = try DatabaseQueue(path: directory.file("hub.db"))
        try await damage.write { db in try db.execute(sql: "UPDATE event_rollups SET sketch = x'00'") }
        // The same cell again: its stored sketch cannot be read, so the commit stores and leaves the rollup.
        try await Traffic.commit(
            (10..<20).map { RollupTests.event($0) }, as: "h01", labels: [:], to: store, stream: 2)
        #expect(try await store.totals().events == 20)
        #expect(try await store.rollupWatermarks().events == 10)
        let service = RollupService(store: store, keep: .seconds(86_400), now: { 0 })
        _ = await service.catchUp()
        #expect(service.counters.failures == 1)
        #expect(try await store.rollupWatermarks().events == 10)
    }
}

extension CommitRollupTests {
    @Test("two copies of one event in one multi-row insert are folded into the rollups once, as they are stored")
    func repeatedEventInOneInsertFoldedOnce() async throws {
        let directory = TemporaryDirectory()
        let store = try Self.store(directory, rollsUpOnCommit: true)
        // Five new events, the third sent twice in the same statement (an application retry inside one batch),
        // and one more already stored, so the insert both ignores rows and inserts others.
        try await Traffic.commit([RollupTests.event(99)], as: "h01", labels: [:], to: store)
        let events = (0..<5).map { RollupTests.event($0) }
        try await Traffic.commit(
            events + [events[2], RollupTests.event(99)], as: "h01", labels: [:], to: store, stream: 2)
        #expect(try await store.totals().events == 6)
        let rows = try await RollupTests.rows(store)
        #expect(rows.reduce(0) { $0 + $1.cell.count } == 6)
        #expect(try await store.rollUp(limit: 100).events == 0)
    }
}
