import Foundation
import GRDB
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// Minute and hour cells, late events, samples and NPS on both stores: SQLite with its rollup job (commits do not fold
/// here; CommitRollupTests covers that) and PostgreSQL, whose commits fold. Watermark resume, chunking and
/// row-by-row retention are the SQLite job's own.
@Suite("Minute rollups")
struct RollupTests {
    static let minute: Int64 = Traffic.currentMinute - 10

    static func event(
        _ n: Int, minute: Int64 = RollupTests.minute, second: Int64 = 0, version: String = "1.0.0",
        name: String = "request", failed: Bool = false, category: String = "", durationMs: Double = 10,
        attributes: [String: String] = [:]
    ) -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        event.eventID = Traffic.eventID(host: 0, n: n, salt: "rollup")
        event.timeUnixNano = minute * 60_000_000_000 + second * 1_000_000_000 + Int64(n % 1000)
        event.service = "checkout"
        event.version = version
        event.name = name
        event.outcome = failed ? .error : .ok
        event.errorCategory = category
        event.durationMs = durationMs
        event.attributes = attributes
        return Vigil_V1_Record.with { $0.event = event }
    }

    static func rows(_ store: any RollupStore) async throws -> [EventRollupRow] {
        try await store.eventRollups(service: "checkout", minutes: (minute - 100)...(minute + 100))
    }

    @Test(
        "events roll up per (service, version, host, name, minute) with counts, errors and a duration sketch",
        arguments: StoreKind.allCases)
    func eventCells(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind, rollsUpOnCommit: false)
        let store = fixture.store
        var records: [Vigil_V1_Record] = []
        for i in 0..<100 {
            records.append(
                Self.event(
                    i, second: Int64(i % 60), failed: i % 10 == 0, category: i % 20 == 0 ? "timeout" : "db",
                    durationMs: Double(i + 1)))
        }
        records.append(Self.event(500, minute: Self.minute + 1, durationMs: 7))
        records.append(Self.event(501, version: "2.0.0", durationMs: 9))
        try await Traffic.commit(records, as: "h01", labels: [:], to: store)
        let progress = try await store.rollUp(limit: 1000)
        // SQLite's job reads the 102 events back; PostgreSQL's commit folded them already.
        #expect(progress.events == (kind == .sqlite ? 102 : 0))
        let rows = try await Self.rows(store)
        #expect(rows.count == 3)
        let main = try #require(rows.first { $0.key.minute == Self.minute && $0.key.version == "1.0.0" })
        #expect(main.key.host == "h01" && main.key.name == "request")
        #expect(main.cell.count == 100 && main.cell.errors == 10)
        #expect(main.cell.durationSum == 5050)
        let p50 = try #require(main.cell.sketch.quantile(0.5))
        #expect(abs(p50 - 50) <= 0.5)
        let categories = try await store.errorCategories(
            service: "checkout", recent: (Self.minute - 5)..<(Self.minute + 5),
            previous: (Self.minute - 10)..<(Self.minute - 5))
        #expect(categories.map(\.category) == ["db", "timeout"])
        #expect(categories.map(\.recent) == [5, 5])
        if kind == .sqlite { #expect(try await store.rollupWatermarks().events == 102) }
    }

    @Test(
        "a late event merges into its minute's existing row, exactly as if it had come in order",
        arguments: StoreKind.allCases)
    func lateEventsMerge(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind, rollsUpOnCommit: false)
        let store = fixture.store
        let early = (0..<50).map { Self.event($0, durationMs: Double($0) * 3 + 1) }
        let late = (50..<80).map { Self.event($0, failed: true, category: "late", durationMs: Double($0) * 3 + 1) }
        try await Traffic.commit(early + [Self.event(900, minute: Self.minute + 2)], as: "h01", labels: [:], to: store)
        _ = try await store.rollUp(limit: 1000)
        // The late events (same host, same minute) arrive after a newer minute was already rolled up.
        try await Traffic.commit(late, as: "h01", labels: [:], to: store, stream: 2)
        _ = try await store.rollUp(limit: 1000)
        let rows = try await Self.rows(store).filter { $0.key.minute == Self.minute }
        #expect(rows.count == 1)
        var expected = EventCell()
        for record in early + late {
            expected.add(
                MinuteRollup.RawEvent(
                    timeUnixNano: record.event.timeUnixNano, service: "checkout", version: "1.0.0", host: "h01",
                    name: "request", failed: record.event.outcome == .error, durationMs: record.event.durationMs))
        }
        #expect(rows.first?.cell == expected)
        #expect(rows.first?.cell.count == 80 && rows.first?.cell.errors == 30)
        let categories = try await store.errorCategories(
            service: "checkout", recent: Self.minute..<(Self.minute + 1), previous: 0..<1)
        #expect(categories.map(\.recent) == [30])
    }

    @Test("chunks and late events give the same rollup as one pass over the same events")
    func chunkingIsInvisible() async throws {
        var rng = SplitMix64(seed: 5)
        var records: [Vigil_V1_Record] = []
        for i in 0..<600 {
            let minute = Self.minute - Int64(rng.next() % 5)
            records.append(
                Self.event(
                    i, minute: minute, second: Int64(rng.next() % 60), failed: rng.unit() < 0.2,
                    durationMs: 1 + rng.unit() * 500))
        }
        let oneDirectory = TemporaryDirectory()
        let one = try SQLiteEventStore.open(path: oneDirectory.file("hub.db"), rollsUpOnCommit: false)
        try await Traffic.commit(records, as: "h01", labels: [:], to: one)
        _ = try await one.rollUp(limit: 10_000)
        let chunkedDirectory = TemporaryDirectory()
        let chunked = try SQLiteEventStore.open(path: chunkedDirectory.file("hub.db"), rollsUpOnCommit: false)
        for part in stride(from: 0, to: 600, by: 150) {
            try await Traffic.commit(Array(records[part..<part + 150]), as: "h01-\(part)", labels: [:], to: chunked)
            while try await chunked.rollUp(limit: 37).events > 0 {}
        }
        func byMinute(_ rows: [EventRollupRow]) -> [Int64: EventCell] {
            rows.reduce(into: [:]) { $0[$1.key.minute, default: EventCell()].merge($1.cell) }
        }
        let a = byMinute(try await Self.rows(one))
        let b = byMinute(try await Self.rows(chunked))
        #expect(Set(a.keys) == Set(b.keys))
        for (minute, cell) in a {
            let other = try #require(b[minute])
            #expect(cell.count == other.count && cell.errors == other.errors)
            #expect(cell.sketch.positive == other.sketch.positive)
            #expect(abs(cell.durationSum - other.durationSum) < 1e-6)
        }
    }

    @Test("after a restart the job resumes from the stored watermark: nothing counted twice or skipped")
    func resumesAfterRestart() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("hub.db")
        do {
            let store = try SQLiteEventStore.open(path: path, rollsUpOnCommit: false)
            try await Traffic.commit((0..<250).map { Self.event($0) }, as: "h01", labels: [:], to: store)
            #expect(try await store.rollUp(limit: 100).events == 100)
            #expect(try await store.rollupWatermarks().events == 100)
        }
        let reopened = try SQLiteEventStore.open(path: path, rollsUpOnCommit: false)
        let service = RollupService(store: reopened, keep: .seconds(86_400), chunkSize: 100, now: { 0 })
        let progress = await service.catchUp()
        #expect(progress.events == 150)
        #expect(try await reopened.rollupWatermarks().events == 250)
        let rows = try await Self.rows(reopened)
        #expect(rows.reduce(0) { $0 + $1.cell.count } == 250)
        #expect(await service.catchUp().events == 0)
    }

    @Test(
        "samples roll up to count, min, mean and max per (agent, metric), attributed to the agent's service",
        arguments: StoreKind.allCases)
    func samples(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind, rollsUpOnCommit: false)
        let store = fixture.store
        var records = [0.2, 0.4, 0.9].enumerated().map { index, value in
            var sample = Vigil_V1_Sample()
            sample.timeUnixNano = Self.minute * 60_000_000_000 + Int64(index) * 1_000_000_000
            sample.metric = "cpu.utilization"
            sample.value = value
            return Vigil_V1_Record.with { $0.sample = sample }
        }
        var labelled = Vigil_V1_Sample()
        labelled.timeUnixNano = Self.minute * 60_000_000_000
        labelled.metric = "queue.depth"
        labelled.value = 12
        labelled.labels = ["service": "other", "version": "9"]
        records.append(Vigil_V1_Record.with { $0.sample = labelled })
        try await Traffic.commit(records, as: "h04", labels: ["service": "checkout", "version": "1.2.0"], to: store)
        _ = try await store.rollUp(limit: 100)
        let rows = try await store.sampleRollups(service: "checkout", minutes: Self.minute...Self.minute)
        #expect(rows.count == 1)
        let cpu = try #require(rows.first)
        #expect(cpu.key.host == "h04" && cpu.key.version == "1.2.0" && cpu.key.metric == "cpu.utilization")
        #expect(cpu.cell.count == 3 && cpu.cell.min == 0.2 && cpu.cell.max == 0.9)
        #expect(abs((cpu.cell.average ?? 0) - 0.5) < 1e-12)
        let other = try await store.sampleRollups(service: "other", minutes: Self.minute...Self.minute)
        #expect(other.map(\.key.version) == ["9"])
    }

    @Test(
        "feedback scores give promoters (≥ 9), detractors (≤ 6) and an NPS per version", arguments: StoreKind.allCases)
    func netPromoterScore(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind, rollsUpOnCommit: false)
        let store = fixture.store
        let scores = ["10", "9", "9", "8", "7", "6", "3", "0", "11", "x"]
        var records = scores.enumerated().map { index, score in
            Self.event(index, name: "feedback", attributes: ["score": score])
        }
        records.append(Self.event(100, durationMs: 40))
        try await Traffic.commit(records, as: "h01", labels: [:], to: store)
        let engine = DecisionEngine(
            settings: DecisionSettings(configuration: HubConfiguration(tls: .init(ca: "-", cert: "-", key: "-"))),
            store: store, rollups: RollupService(store: store, keep: .seconds(86_400), now: { 0 }))
        _ = try await store.rollUp(limit: 100)
        let report = try #require(
            try await engine.versions(
                service: "checkout", at: Instant(nanosecondsSinceEpoch: (Self.minute + 1) * 60_000_000_000)))
        let version = try #require(report.versions.first)
        #expect(version.nps.responses == 8)
        #expect(version.nps.promoters == 3 && version.nps.detractors == 3)
        #expect(version.nps.score == 0)
        #expect(version.events == 1)
    }

    @Test(
        "hourly cells are the minute cells merged per hour, through late events, several commits and samples",
        arguments: StoreKind.allCases, [false, true])
    func hourlyCells(_ kind: StoreKind, rollsUpOnCommit: Bool) async throws {
        let fixture = try await StoreFixture.open(kind, rollsUpOnCommit: rollsUpOnCommit)
        let store = fixture.store
        // Three hours and more of two hosts and two versions, the last commit late into the first hours.
        func events(_ range: Range<Int>, host: Int) -> [Vigil_V1_Record] {
            range.map { n in
                Self.event(
                    n + 10_000 * host, minute: Self.minute - Int64(n % 200), second: Int64(n % 60),
                    version: n % 3 == 0 ? "2.0.0" : "1.0.0", failed: n % 7 == 0, durationMs: Double(n % 400) + 0.5)
            }
        }
        func samples(_ range: Range<Int>) -> [Vigil_V1_Record] {
            range.map { n in
                var sample = Vigil_V1_Sample()
                sample.timeUnixNano = (Self.minute - Int64(n % 200)) * 60_000_000_000
                sample.metric = "cpu.utilization"
                sample.value = Double(n % 97) / 97
                return Vigil_V1_Record.with { $0.sample = sample }
            }
        }
        let labels = ["service": "checkout", "version": "1.0.0"]
        try await Traffic.commit(events(0..<300, host: 1) + samples(0..<150), as: "h01", labels: labels, to: store)
        try await Traffic.commit(events(0..<250, host: 2), as: "h02", labels: labels, to: store)
        _ = try await store.rollUp(limit: 10_000)
        try await Traffic.commit(
            events(300..<700, host: 1) + samples(150..<400), as: "h01", labels: labels, to: store, stream: 2)
        _ = try await store.rollUp(limit: 10_000)

        let span = (Self.minute - 300)...(Self.minute + 60)
        let minuteRows = try await store.eventRollups(service: "checkout", minutes: span)
        #expect(minuteRows.reduce(0) { $0 + $1.cell.count } == 950)
        var expected: [MinuteRollup.EventKey: EventCell] = [:]
        for row in minuteRows {
            var key = row.key
            key.minute = MinuteRollup.hourStart(ofMinute: key.minute)
            expected[key, default: EventCell()].merge(row.cell)
        }
        let hourRows = try await store.eventRollups(service: "checkout", minutes: span, resolution: .hour)
        #expect(hourRows.count == expected.count && expected.count >= 8)
        for row in hourRows { #expect(expected[row.key] == row.cell, "hour cell \(row.key)") }

        var expectedSamples: [MinuteRollup.SampleKey: SampleCell] = [:]
        for row in try await store.sampleRollups(service: "checkout", minutes: span) {
            var key = row.key
            key.minute = MinuteRollup.hourStart(ofMinute: key.minute)
            expectedSamples[key, default: SampleCell()].merge(row.cell)
        }
        let hourSamples = try await store.sampleRollups(service: "checkout", minutes: span, resolution: .hour)
        #expect(hourSamples.reduce(0) { $0 + $1.cell.count } == 400)
        #expect(hourSamples.count == expectedSamples.count)
        for row in hourSamples {
            let cell = try #require(expectedSamples[row.key])
            #expect(row.cell.count == cell.count && row.cell.min == cell.min && row.cell.max == cell.max)
            #expect(abs(row.cell.sum - cell.sum) < 1e-9)
        }
    }

    @Test(
        "upgrading a database with minute rollups fills the hourly ones from them (SQLite v6, PostgreSQL 0005)",
        arguments: StoreKind.allCases)
    func hourlyBackfill(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let records = (0..<500).map {
            Self.event($0, minute: Self.minute - Int64($0 % 150), failed: $0 % 9 == 0, durationMs: Double($0 % 300))
        }
        let samples = (0..<200).map { n -> Vigil_V1_Record in
            var sample = Vigil_V1_Sample()
            sample.timeUnixNano = (Self.minute - Int64(n % 150)) * 60_000_000_000 + Int64(n)
            sample.metric = "queue.depth"
            sample.value = Double(n % 13)
            return Vigil_V1_Record.with { $0.sample = sample }
        }
        let labels = ["service": "checkout", "version": "1.0.0"]
        try await Traffic.commit(records + samples, as: "h01", labels: labels, to: fixture.store)
        // Wide enough for the hour the oldest minute (minute − 149) falls in, wherever the clock is in its hour.
        let span = (Self.minute - 300)...Self.minute
        func hourCells(_ store: any RollupStore) async throws -> [MinuteRollup.EventKey: EventCell] {
            let rows = try await store.eventRollups(service: "checkout", minutes: span, resolution: .hour)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.cell) })
        }
        func hourSamples(_ store: any RollupStore) async throws -> [MinuteRollup.SampleKey: SampleCell] {
            let rows = try await store.sampleRollups(service: "checkout", minutes: span, resolution: .hour)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.cell) })
        }
        let written = try await hourCells(fixture.store)
        let writtenSamples = try await hourSamples(fixture.store)
        #expect(written.count >= 3 && written.values.reduce(0) { $0 + $1.count } == 500)
        #expect(writtenSamples.count >= 3 && writtenSamples.values.reduce(0) { $0 + $1.count } == 200)
        // Back to the schema before the hourly tables, as a database of the previous release.
        switch kind {
        case .sqlite:
            let queue = try DatabaseQueue(path: fixture.directory.file("hub.db"))
            try await queue.write { db in
                try db.execute(
                    sql: """
                        DROP TABLE event_rollups_hourly; DROP TABLE sample_rollups_hourly;
                        DELETE FROM grdb_migrations WHERE identifier = 'v6-hourly-rollups';
                        """)
            }
            try queue.close()
        case .postgres:
            _ = try fixture.psql(
                """
                DROP TABLE event_rollups_hourly, sample_rollups_hourly;
                DELETE FROM vigil_migrations WHERE name = '0005-hourly-rollups'
                """)
        }
        let upgraded = try await fixture.reopen()
        #expect(try await hourCells(upgraded) == written)
        #expect(try await hourSamples(upgraded) == writtenSamples)
        // The upgraded store goes on merging into the filled cells.
        try await Traffic.commit(
            [Self.event(9_000, minute: Self.minute, durationMs: 1)], as: "h01", labels: labels, to: upgraded,
            stream: 2)
        let after = try await hourCells(upgraded)
        #expect(after.values.reduce(0) { $0 + $1.count } == 501)
    }

    @Test("retention deletes rollups older than the cutoff in batches and keeps the rest")
    func retention() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"), rollsUpOnCommit: false)
        // 40 minutes in a row, and one event 200 minutes back, whose hour is surely past the cutoff.
        let records =
            (0..<40).map { Self.event($0, minute: Self.minute - Int64($0), failed: true) }
            + [Self.event(40, minute: Self.minute - 200, failed: true)]
        try await Traffic.commit(records, as: "h01", labels: [:], to: store)
        _ = try await store.rollUp(limit: 100)
        let now = (Self.minute + 1) * 60_000_000_000
        let hours = try await store.eventRollups(
            service: "checkout", minutes: (Self.minute - 300)...Self.minute, resolution: .hour)
        let service = RollupService(store: store, keep: .seconds(10 * 60), retentionBatch: 7, now: { now })
        let deleted = await service.expire()
        // The cutoff is minute − 9: the 31 minutes before it go, one event row and one error row each, and the
        // hour cells whose last minute is before it (the one 200 minutes back, and maybe one more).
        let expiredHours = hours.filter { $0.key.minute + 59 < Self.minute - 9 }.count
        #expect(expiredHours >= 1)
        #expect(deleted == 62 + expiredHours)
        let hoursLeft = try await store.eventRollups(
            service: "checkout", minutes: (Self.minute - 300)...Self.minute, resolution: .hour)
        #expect(hoursLeft.count == hours.count - expiredHours && !hoursLeft.isEmpty)
        let left = try await store.eventRollups(service: "checkout", minutes: (Self.minute - 300)...Self.minute)
        #expect(left.count == 10)
        #expect(left.allSatisfy { $0.key.minute >= Self.minute - 9 })
        #expect(await service.expire() == 0)
    }
}
