import Foundation
import Logging
import Synchronization
import Testing
import VigilProtocol
import VigilTestSupport

@testable import VigilHub

/// What every store promises (``EventStore``), checked against SQLite and PostgreSQL with the same assertions.
@Suite("Event store contract")
struct StoreContractTests: StoreTestInput {

    @Test("the same batch committed twice is stored once and acknowledged both times", arguments: StoreKind.allCases)
    func sameBatchTwice(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        #expect(try await store.openStream(hello(), at: now) == 0)
        let first = try await store.commit([batch(first: 1, Records.events(1...5))], at: now)
        let again = try await store.commit([batch(first: 1, Records.events(1...5))], at: now)
        #expect(first[0].throughSeq == 5 && first[0].events == 5)
        #expect(again[0].throughSeq == 5 && again[0].events == 0 && again[0].duplicateSeqs == 5)
        let totals = try await store.totals()
        #expect(totals.events == 5)
        #expect(totals.duplicates == 5)
        #expect(try await store.records(matching: RecordQuery()).count == 5)
    }

    @Test(
        "a batch whose predecessor on the connection was not stored is refused, so the hwm never skips it",
        arguments: StoreKind.allCases)
    func predecessorMissingRefused(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.commit([batch(first: 1, Records.events(1...10))], at: now)
        // Batch 11...20 failed (never stored); 21...30 of the same connection arrives next.
        var next = batch(first: 21, Records.events(21...30))
        next.previousSeq = 20
        let outcome = try await store.commit([next], at: now)
        #expect(outcome[0].predecessorMissing && outcome[0].stored == 0)
        #expect(try await store.totals().events == 10)
        // A real gap (drop_oldest on the agent) follows what the connection sent, and is stored.
        var gap = batch(first: 31, Records.events(31...35))
        gap.previousSeq = 10
        let stored = try await store.commit([gap], at: now)
        #expect(!stored[0].predecessorMissing && stored[0].events == 5 && stored[0].missing == 20)
    }

    @Test("an overlapping batch stores only the records after the high-water mark", arguments: StoreKind.allCases)
    func overlappingBatch(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.commit([batch(first: 1, Records.events(1...10))], at: now)
        let outcome = try await store.commit([batch(first: 6, Records.events(6...15))], at: now)
        #expect(
            outcome[0]
                == {
                    var o = BatchOutcome(throughSeq: 15)
                    o.events = 5
                    o.duplicateSeqs = 5
                    return o
                }())
        let seqs = try await store.records(matching: RecordQuery()).map(\.seq)
        #expect(seqs == Array(1...15))
    }

    @Test("a batch after a gap is stored and the gap counted", arguments: StoreKind.allCases)
    func gapCounted(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.commit([batch(first: 1, Records.events(1...3))], at: now)
        let outcome = try await store.commit([batch(first: 10, Records.events(10...12))], at: now)
        #expect(outcome[0].missing == 6)
        #expect(outcome[0].events == 3)
        let totals = try await store.totals()
        #expect(totals.gaps == 1)
        #expect(totals.missingRecords == 6)
        #expect(try await store.highWaterMark(agentID: "web-01", streamID: Records.stream(1)) == 12)
    }

    @Test(
        "a batch spanning several multi-row inserts counts new and duplicate events and samples exactly",
        arguments: StoreKind.allCases)
    func multiRowCounts(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        // web-01 stores events 0, 3, 6, ... 99 first.
        _ = try await store.commit(
            [batch("web-01", first: 1, stride(from: 0, through: 99, by: 3).map { Records.event($0) })], at: now)
        // web-02 sends 100 records: every fifth a sample, the rest events 0...99 of which a third are
        // already stored, plus event 1 a second time in the same batch.
        var records: [Vigil_V1_Record] = []
        for n in 0..<100 { records.append(n % 5 == 4 ? Records.sample(n) : Records.event(n)) }
        records.append(Records.event(1))
        let outcome = try await store.commit([batch("web-02", first: 1, records)], at: now)
        let events = (0..<100).filter { $0 % 5 != 4 }
        let alreadyStored = events.filter { $0 % 3 == 0 }.count
        #expect(outcome[0].samples == 20)
        #expect(outcome[0].events == events.count - alreadyStored)
        #expect(outcome[0].duplicateEvents == alreadyStored + 1)
        #expect(outcome[0].throughSeq == 101)
        let stored = try await store.records(matching: RecordQuery(kinds: .events))
        #expect(stored.count == 34 + events.count - alreadyStored)
        #expect(Set(stored.map(\.agentID)).count == 2)
    }

    @Test(
        "the same event id and time from two agents is stored once, the second counted as a duplicate",
        arguments: StoreKind.allCases)
    func sameEventTwoAgents(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        let outcomes = try await store.commit(
            [batch("web-01", first: 1, [Records.event(7)]), batch("web-02", first: 1, [Records.event(7)])], at: now)
        #expect(outcomes[0].events == 1)
        #expect(outcomes[1].events == 0)
        #expect(outcomes[1].duplicateEvents == 1)
        #expect(outcomes[1].throughSeq == 1)
        #expect(try await store.records(matching: RecordQuery(kinds: .events)).count == 1)
        // The same id at another time is another event.
        var later = Records.event(7)
        later.event.timeUnixNano += 1_000
        _ = try await store.commit([batch("web-02", first: 2, [later])], at: now)
        #expect(try await store.records(matching: RecordQuery(kinds: .events)).count == 2)
    }

    @Test("a new stream id starts a new sequence: its seq 1 is not a duplicate", arguments: StoreKind.allCases)
    func newStream(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.commit([batch(stream: 1, first: 1, Records.events(1...5))], at: now)
        #expect(try await store.openStream(hello(stream: 2), at: now) == 0)
        let outcome = try await store.commit([batch(stream: 2, first: 1, Records.events(101...103))], at: now)
        #expect(outcome[0].events == 3)
        #expect(outcome[0].duplicates == 0)
        let agents = try await store.agents()
        #expect(agents.count == 1)
        #expect(agents[0].streams == 2)
        #expect(agents[0].records == 8)
    }

    @Test(
        "hello and disconnect set the agent's connection, labels and last seen; batches its lag source",
        arguments: StoreKind.allCases)
    func agentLifecycle(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.openStream(hello(labels: ["service": "checkout", "version": "2.0.0"]), at: now)
        var agents = try await store.agents()
        #expect(agents[0].connected)
        #expect(agents[0].labels == ["service": "checkout", "version": "2.0.0"])
        #expect(agents[0].newestRecordUnixNano == nil)
        _ = try await store.commit([batch(first: 1, [Records.sample(1, time: now - 5_000_000_000)])], at: now + 1)
        agents = try await store.agents()
        #expect(agents[0].lastSeenUnixNano == now + 1)
        #expect(agents[0].newestRecordUnixNano == now - 5_000_000_000)
        try await store.markDisconnected(agentID: "web-01", at: now + 2)
        agents = try await store.agents()
        #expect(!agents[0].connected)
        #expect(try await store.totals().connectedAgents == 0)
    }

    @Test(
        "the merged view orders events and samples by time and filters by service, version, agent and name",
        arguments: StoreKind.allCases)
    func mergedView(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        _ = try await store.openStream(hello("web-01", labels: ["service": "checkout", "version": "1.0.0"]), at: now)
        _ = try await store.openStream(hello("web-02", labels: ["service": "checkout", "version": "2.0.0"]), at: now)
        let base: Int64 = 1_700_000_000_000_000_000
        _ = try await store.commit(
            [
                batch("web-01", first: 1, [Records.event(1), Records.sample(1, time: base + 10)]),
                batch(
                    "web-02", first: 1,
                    [
                        Records.event(2, version: "2.0.0"),
                        Records.sample(2, metric: "memory.used_bytes", time: base + 5),
                    ]),
            ], at: now)
        let all = try await store.records(matching: RecordQuery())
        #expect(all.map(\.timeUnixNano) == [base + 1, base + 2, base + 5, base + 10])
        let v2 = try await store.records(matching: RecordQuery(service: "checkout", version: "2.0.0"))
        #expect(v2.map(\.agentID) == ["web-02", "web-02"])
        #expect(v2.allSatisfy { $0.version == "2.0.0" })
        let samplesOfWeb01 = try await store.records(matching: RecordQuery(agentID: "web-01", kinds: .samples))
        #expect(samplesOfWeb01.count == 1)
        #expect(samplesOfWeb01[0].service == "checkout")
        #expect(samplesOfWeb01[0].version == "1.0.0")
        guard case .sample(let sample) = samplesOfWeb01[0].body else {
            Issue.record("expected a sample")
            return
        }
        #expect(sample.metric == "cpu.utilization")
        let named = try await store.records(matching: RecordQuery(name: "memory.used_bytes"))
        #expect(named.count == 1)
        let window = try await store.records(matching: RecordQuery(fromUnixNano: base + 2, toUnixNano: base + 10))
        #expect(window.map(\.timeUnixNano) == [base + 2, base + 5])
        guard case .event(let event) = all[0].body else {
            Issue.record("expected an event")
            return
        }
        #expect(event.attributes == ["route": "/pay"])
        #expect(event.eventID == Records.id(1))
    }

    @Test(
        "retention deletes old events and samples in bounded transactions and keeps newer ones",
        arguments: StoreKind.allCases)
    func retention(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        let old = now - 100 * 86_400 * 1_000_000_000
        let records = (1...25).map { Records.event($0, time: old) } + (26...30).map { Records.sample($0, time: now) }
        _ = try await store.commit([batch(first: 1, records)], at: now)
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let service = RetentionService(
            store: store, keep: .seconds(90 * 86_400), batchSize: 10, pause: .milliseconds(1), now: { [now] in now },
            logger: quiet)
        #expect(await service.runPass() == 25)
        #expect(service.deleted == 25)
        #expect(try await store.records(matching: RecordQuery()).count == 5)
        #expect(try await store.deleteRaw(olderThan: old + 1_000, limit: 10) == 0)
        // History counters are not reduced by retention.
        #expect(try await store.totals().events == 25)
    }

    @Test(
        "the committer groups batches from many submitters and completes each after commit",
        arguments: StoreKind.allCases)
    func committer(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture.open(kind)
        let store = fixture.store
        let committer = BatchCommitter(store: store, now: { [now] in now })
        let results = ResultBox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await committer.run() }
            for n in 0..<20 {
                committer.submit(
                    batch("agent-\(n % 4)", first: UInt64(n / 4 * 10 + 1), Records.events(n * 10 + 1...n * 10 + 10))
                ) { result in results.add(result) }
            }
            while results.count < 20 { try await Task.sleep(for: .milliseconds(5)) }
            group.cancelAll()
        }
        #expect(results.failures == 0)
        #expect(try await store.totals().events == 200)
        let (counters, rate) = committer.counters(atUnixNano: now)
        #expect(counters.batches == 20)
        #expect(counters.recordsStored == 200)
        #expect(rate == 20)
    }
}
