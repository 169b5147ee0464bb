import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VigilHub
import VigilProtocol
import VigilTestSupport

extension Reliability {
    /// The oracle can fail: the same fleet, load and agent kills as a fault scenario, but the hub (in this
    /// process, on the fleet's ports and configuration) commits through a deliberately broken store. Each run
    /// must be judged unsound, for the reason its mutation gives; a harness whose oracle passed these would
    /// pass a broken Vigil too.
    @Suite("Oracle mutations", .serialized)
    struct OracleMutations {
        @Test("a store that ignores the hwm and stores every record it is sent is reported as duplicating")
        func ignoringTheHighWaterMarkIsCaught() async throws {
            let verdict = try await Self.run("mutation-ignore-hwm", tag: 20, mutation: .ignoreHighWaterMark)
            let audit = try #require(verdict.seq)
            print("oracle mutation ignore-hwm: \(verdict)")
            #expect(!verdict.isSound, "\(verdict)")
            #expect(audit.duplicated > 0, "samples sent again were stored again: \(verdict)")
        }

        @Test("a store that acknowledges batches without storing them is reported as losing records")
        func acknowledgingWithoutStoringIsCaught() async throws {
            let verdict = try await Self.run("mutation-ack-unstored", tag: 21, mutation: .acknowledgeWithoutStoring)
            let audit = try #require(verdict.seq)
            print("oracle mutation ack-without-store: \(verdict)")
            #expect(!verdict.isSound, "\(verdict)")
            #expect(verdict.lost > 0, "acknowledged events are missing: \(verdict)")
            #expect(audit.lost > 0, "seqs below the hwm are missing, samples included: \(verdict)")
        }

        static func run(_ name: String, tag: UInt8, mutation: MutantStore.Mutation) async throws -> Verdict {
            let run = try ScenarioRun(
                name, tag: tag, options: LoadGenerator.Options().withoutRetries, startHub: false
            ) { fleet, n in
                // Samples every 100 ms: a resend of what was in flight at a kill then holds samples too, which
                // only the hwm protects.
                try fleet.configureAgent(n, settings: ["sampling": "{ interval: 100ms }"])
            }
            defer { run.stop() }
            let configuration = try HubConfiguration.load(path: "\(run.fleet.directory)/hub.yaml")
            var logger = Logger(label: "vigil.hub.mutant")
            logger.logLevel = .critical
            let path = run.fleet.hubDatabase
            let runtime = try await HubRuntime.make(
                configuration: configuration, logger: logger,
                commitsGoTo: { store in MutantStore(store, path: path, mutation: mutation) })
            _ = try await runtime.receiver.bind()
            let group = ServiceGroup(
                configuration: .init(services: runtime.services.map { .init(service: $0) }, logger: logger))
            let serving = Task { try await group.run() }
            do {
                run.startLoad()
                var generator = SystemRandomNumberGenerator()
                for _ in 0..<6 {
                    #expect(await run.generator.waitForProgress(300))
                    try await Task.sleep(for: .milliseconds(Int.random(in: 300...900, using: &generator)))
                    try run.fleet.restartAgent(Int.random(in: 1...2, using: &generator))
                    run.fault("agent kill -9")
                }
                #expect(await run.generator.waitForProgress(300))
                let verdict = try await run.finish(drainTimeout: 15, assertSound: false)
                await group.triggerGracefulShutdown()
                _ = try? await serving.value
                return verdict
            } catch {
                await group.triggerGracefulShutdown()
                _ = try? await serving.value
                throw error
            }
        }
    }
}

/// A broken ``EventStore`` for the oracle's mutation runs: it forwards to the real store but breaks one promise.
final class MutantStore: EventStore, Sendable {
    enum Mutation: Sendable {
        /// Stores again what the hwm skipped: after the real commit it inserts each record the store skipped by
        /// seq (events still meet their `(time, event_id)` key; samples have none). It also commits 200 ms late, as
        /// a slow disk would, so that batches are still waiting when a killed agent reconnects and sends them again.
        case ignoreHighWaterMark
        /// Every fifth commit acknowledges its batches and stores nothing.
        case acknowledgeWithoutStoring
    }

    private let store: any EventStore
    private let writer: DatabaseQueue
    private let mutation: Mutation
    private let commits = Atomic<Int>(0)

    init(_ store: any EventStore, path: String, mutation: Mutation) {
        self.store = store
        // A second connection to the same file, for the mutation's own writes. The hub opened (and migrated) the
        // file just before; if this cannot open it, the mutation run cannot run at all.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            self.writer = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            fatalError("the mutation store cannot open \(path): \(error)")
        }
        self.mutation = mutation
    }

    var kind: String { store.kind }
    var location: String { store.location }

    func commit(_ batches: [IncomingBatch], at now: Int64) async throws(StoreError) -> [BatchOutcome] {
        let number = commits.wrappingAdd(1, ordering: .relaxed).newValue
        switch mutation {
        case .ignoreHighWaterMark:
            try? await Task.sleep(for: .milliseconds(200))
            let outcomes = try await store.commit(batches, at: now)
            do {
                try await writer.write { db in
                    for (batch, outcome) in zip(batches, outcomes) where outcome.duplicateSeqs > 0 {
                        try Self.storeAgain(batch.records.prefix(outcome.duplicateSeqs), of: batch, db)
                    }
                }
            } catch {
                throw StoreError(code: .write, message: "mutation: \(error)")
            }
            return outcomes
        case .acknowledgeWithoutStoring:
            if number % 5 == 0 { return batches.map { BatchOutcome(throughSeq: $0.lastSeq) } }
            return try await store.commit(batches, at: now)
        }
    }

    private static func storeAgain(
        _ records: ArraySlice<Vigil_V1_Record>, of batch: IncomingBatch, _ db: Database
    ) throws {
        let stream = try Int64.fetchOne(
            db, sql: "SELECT n FROM stream_numbers WHERE agent_id = ? AND stream_id = ?",
            arguments: [batch.agentID, batch.streamID])
        for (offset, record) in zip(records.indices, records) {
            let seq = Int64(batch.firstSeq) + Int64(offset)
            switch record.body {
            case .event(let e):
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO events (time_unix_nano, event_id, agent_id, seq, service, version, name,
                                                      outcome, duration_ms, error_category, stream)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        e.timeUnixNano, e.eventID, batch.agentID, seq, e.service, e.version, e.name,
                        e.outcome.rawValue, e.durationMs, e.errorCategory, stream,
                    ])
            case .sample(let sample):
                try db.execute(
                    sql: """
                        INSERT INTO samples (time_unix_nano, agent_id, seq, metric, value, stream)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [sample.timeUnixNano, batch.agentID, seq, sample.metric, sample.value, stream])
            case nil:
                break
            }
        }
    }

    func openStream(_ hello: AgentHello, at now: Int64) async throws(StoreError) -> UInt64 {
        try await store.openStream(hello, at: now)
    }
    func markDisconnected(agentID: String, at now: Int64) async throws(StoreError) {
        try await store.markDisconnected(agentID: agentID, at: now)
    }
    func markAllDisconnected() async throws(StoreError) { try await store.markAllDisconnected() }
    func highWaterMark(agentID: String, streamID: Data) async throws(StoreError) -> UInt64 {
        try await store.highWaterMark(agentID: agentID, streamID: streamID)
    }
    func totals() async throws(StoreError) -> StoreTotals { try await store.totals() }
    func agents() async throws(StoreError) -> [AgentRecord] { try await store.agents() }
    func records(matching query: RecordQuery) async throws(StoreError) -> [StoredRecord] {
        try await store.records(matching: query)
    }
    func deleteRaw(olderThan cutoff: Int64, limit: Int) async throws(StoreError) -> Int {
        try await store.deleteRaw(olderThan: cutoff, limit: limit)
    }
    func probeWritable() async throws(StoreError) { try await store.probeWritable() }
}
