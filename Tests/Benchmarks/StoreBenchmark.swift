import Foundation
import VigilHub
import VigilProtocol

/// The hub's store alone, on one thread: decoded batches committed to SQLite as the hub's writer commits
/// them (three agents' batches of 1,000 events, ten batches per transaction), with the commits folding
/// the minute rollups as the hub does; then the same again with the rollup job reading the events back
/// instead. CPU per event here is free of the network, TLS and the other processes, so changes to the
/// write path can be compared run to run.
enum StoreBenchmark {
    static let agents = 3
    static let batchRecords = 1000
    static let batchesPerCommit = 10

    static func run(events: Int) async throws {
        Report.section(
            "Hub store on one thread (\(events) events, \(batchesPerCommit) batches of \(batchRecords) per commit)")
        try await run(events: events, rollsUpOnCommit: true)
        try await run(events: events, rollsUpOnCommit: false)
    }

    static func run(events: Int, rollsUpOnCommit: Bool) async throws {
        let work = NSTemporaryDirectory() + "vigil-bench-store-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = try SQLiteEventStore.open(path: "\(work)/hub.db", rollsUpOnCommit: rollsUpOnCommit)
        // Nothing else runs meanwhile but the store's WAL checkpointer.
        let (stored, committing) = try await commit(events: events, to: store)
        let start = ContinuousClock.now
        var rolled = 0
        while true {
            let step = try await store.rollUp(limit: 20_000)
            if step.events == 0 { break }
            rolled += step.events
        }
        let rolling = ContinuousClock.now - start
        if rollsUpOnCommit {
            Report.line(
                "commit and fold rollups",
                String(format: "%.2f µs per event (%d stored)", committing.seconds / Double(stored) * 1e6, stored))
            Report.line("left to the rollup job", "\(rolled) events")
        } else {
            Report.line(
                "commit alone",
                String(format: "%.2f µs per event (%d stored)", committing.seconds / Double(stored) * 1e6, stored))
            Report.line(
                "then the job's readback",
                String(
                    format: "%.2f µs per event (%d rolled up)", rolling.seconds / Double(max(1, rolled)) * 1e6, rolled))
        }
    }

    /// Commits `events` events of a ``Workload`` to `store`; returns how many were stored and the wall time of
    /// the awaited commits.
    static func commit(events: Int, to store: any EventStore) async throws -> (stored: Int, committing: Duration) {
        var workload = try await Workload(store: store)
        var committing = Duration.zero
        var stored = 0
        while workload.made < events {
            let batches = workload.next()
            let start = ContinuousClock.now
            let outcomes = try await store.commit(batches, at: workload.base)
            committing += ContinuousClock.now - start
            stored += outcomes.reduce(0) { $0 + $1.events }
        }
        return (stored, committing)
    }

    /// Three agents' streams, opened in `store`, and their batches: each ``next()`` is one group commit of
    /// `batchesPerCommit` batches of `batchRecords` events, the agents taking turns.
    struct Workload {
        let base = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        private var streams: [Data] = []
        private var nextSeq = [UInt64](repeating: 1, count: agents)
        /// Events made so far.
        private(set) var made = 0

        init(store: any EventStore) async throws {
            for n in 1...agents {
                let stream = Data((0..<16).map { UInt8(truncatingIfNeeded: n &* 7 &+ $0) })
                streams.append(stream)
                _ = try await store.openStream(
                    AgentHello(
                        agentID: "bench-\(n)", streamID: stream, hostname: "host-\(n)", agentVersion: "bench",
                        labels: ["service": "bench", "version": "1.0.\(n)"]),
                    at: base)
            }
        }

        mutating func next() -> [IncomingBatch] {
            let batches = (0..<batchesPerCommit).map { b in
                let agent = b % agents
                let records = (0..<batchRecords).map { i in
                    event(index: made + b * batchRecords + i, agent: agent, base: base)
                }
                defer { nextSeq[agent] += UInt64(batchRecords) }
                return IncomingBatch(
                    agentID: "bench-\(agent + 1)", streamID: streams[agent], firstSeq: nextSeq[agent],
                    records: records, previousSeq: nextSeq[agent] - 1)
            }
            made += batchesPerCommit * batchRecords
            return batches
        }
    }

    static func event(index: Int, agent: Int, base: Int64) -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        event.eventID = Data((0..<16).map { UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> ($0 % 8 * 4) &+ $0) })
        event.timeUnixNano = base + Int64(index) * 10_000
        event.service = "bench"
        event.version = "1.0.\(agent + 1)"
        event.name = "request"
        event.outcome = index % 50 == 0 ? .error : .ok
        event.durationMs = Double(index % 700) + 0.5
        event.errorCategory = index % 50 == 0 ? "timeout" : ""
        event.attributes = ["route": "/api/cart", "peer.uid": "1000"]
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }
}
