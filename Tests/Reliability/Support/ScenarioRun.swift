import Foundation
import Testing
import VigilTestSupport

/// One scenario's fleet, load and bookkeeping: starts the clients, counts faults, samples memory,
/// drains, asks the ``Oracle`` and records the result. The scenario decides the faults.
final class ScenarioRun: @unchecked Sendable {
    let fleet: Fleet
    let generator: LoadGenerator
    private(set) var result: ScenarioResult
    private let started = Date()
    private var sampler: Task<Void, Never>?
    private var recorded = false
    private let agentCount: Int

    /// A fleet with `agents` agents (configured by `configure` before they start) and a client per agent. With
    /// `postgres` (a server and a database on it) the hub (`hub-a`) stores there, through `postgresURL` if given
    /// (a fault proxy), and the checks read it.
    init(
        _ name: String, tag: UInt8, agents: Int = 2, hubSettings: String = "", hubListenPort: Int? = nil,
        postgres: (server: PostgresServer, database: String)? = nil, postgresURL: String? = nil,
        options: LoadGenerator.Options = .init(), startHub: Bool = true, startAgents: Bool = true,
        configure: (Fleet, Int) throws -> Void = { _, _ in }
    ) throws {
        let fleet = try Fleet(
            name: name, hubSettings: postgres == nil ? hubSettings : "hub_id: hub-a\n" + hubSettings,
            listenPort: hubListenPort,
            store: postgres.map { "{ kind: postgres, url: \"\(postgresURL ?? $0.server.url($0.database))\" }" })
        if let postgres { fleet.usePostgres(postgres.server, database: postgres.database) }
        self.fleet = fleet
        result = ScenarioResult(scenario: name)
        agentCount = agents
        if startHub { try fleet.startHub() }
        for n in 1...agents {
            try configure(fleet, n)
            if startAgents { try fleet.startAgent(n) }
        }
        generator = LoadGenerator(
            scenario: tag, sockets: Dictionary(uniqueKeysWithValues: (1...agents).map { ($0, fleet.socket($0)) }),
            options: options)
    }

    /// Starts the clients and the memory sampler (every `sampleEvery` seconds).
    func startLoad(sampleEvery seconds: Double = 1) {
        generator.start()
        let fleet = self.fleet
        sampler = Task.detached {
            while !Task.isCancelled {
                fleet.sampleMemory()
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            }
        }
    }

    /// Counts one injected fault of `kind`.
    func fault(_ kind: String) {
        result.faults += 1
        result.faultKinds[kind, default: 0] += 1
    }

    /// Adds a note to the result.
    func note(_ text: String) { result.notes.append(text) }

    /// Stops the clients, waits until every acknowledged write is in the hub and the store is quiet, then
    /// judges and returns the verdict (`drainTimeout` seconds at most for the drain); ``stop()`` records it, with
    /// every note made until then. The verdict has both halves of the oracle: the ledger by event id and the
    /// ``SeqAudit`` of every stored record by `(agent, stream, seq)`.
    ///
    /// - Every run ends with the ``ResendProbe``: agent 1's oldest stored records sent again on its stream, which
    ///   the hub must skip by seq and acknowledge. The faults alone make none (see ``ResendProbe``): what they
    ///   did make is recorded apart (`seqResendsByFaults`).
    /// - `ownIDsOnly` judges only ids of the load generator (`E6 …`): for scenarios whose probes write
    ///   events of their own through the same agent.
    /// - `allowLoss` (power cuts at `durability: normal`) records what was lost instead of failing on it.
    /// - With application retries off, an event skipped by id means a resend got past the hwm, and fails the run.
    /// - `assertSound: false` only judges: the oracle's mutation runs check that it reports what they broke.
    /// - `probePort` sends the probe to another replica of a shared store than the fleet's hub.
    @discardableResult
    func finish(
        drainTimeout: Double = 120, ownIDsOnly: Bool = false, allowLoss: Bool = false, assertSound: Bool = true,
        probePort: Int? = nil
    ) async throws
        -> Verdict
    {
        await generator.stop()
        let ledger = generator.ledger
        // What must reach the hub: the agents' acknowledged writes but those the hub refuses by policy.
        let acknowledged = Set(ledger.outcomes.filter { $0.value == .acknowledged }.keys).subtracting(
            ledger.unauthorized)
        let drainStart = Date()
        let countAtStart = (try? fleet.hubEventCount()) ?? 0
        let drained = await eventually(drainTimeout) {
            guard let stored = try? fleet.hubStoredEventIDs() else { return false }
            return acknowledged.allSatisfy { stored[$0] != nil }
        }
        let drainSeconds = Date().timeIntervalSince(drainStart)
        // Quiet: the stored count holds for three seconds (late resends would show as duplicates).
        var last = -1
        var stable = 0
        while stable < 3 {
            let count = (try? fleet.hubEventCount()) ?? -1
            stable = count == last ? stable + 1 : 0
            last = count
            try await Task.sleep(for: .seconds(1))
        }
        sampler?.cancel()
        fleet.sampleMemory()
        // What the faults alone made the agents send again, then the resend probe on agent 1's stream.
        let agentDatabases = (1...agentCount).map(fleet.agentDatabase)
        let resendsByFaults = try SeqAudit.read(
            hubDatabase: try fleet.hubSnapshot(), directory: fleet.directory, agentDatabases: agentDatabases
        ).seqResendsSkipped
        let probe = try await onThread { [fleet] in try ResendProbe.replay(fleet, agent: 1, port: probePort) }
        fault("resend probe")
        let status = try fleet.hubStatus()
        var stored = try fleet.hubStoredEventIDs()
        if ownIDsOnly {
            stored = stored.filter { entry in
                let id = Array(entry.key)
                return id.count == 16 && id[0] == 0xE6 && id[3] == 0 && id[12..<16].allSatisfy { $0 == 0 }
            }
        }
        var verdict = Oracle.judge(ledger: ledger, stored: stored, skippedDuplicates: status.totals.duplicates)
        var audit = try SeqAudit.read(
            hubDatabase: try fleet.hubSnapshot(), directory: fleet.directory, agentDatabases: agentDatabases,
            forgottenStreamsAllowed: allowLoss)
        audit.seqResendsByFaults = resendsByFaults
        verdict.seq = audit
        note(
            "resend probe: agent 1 sent seqs \(probe.seqs) again; hub acked through \(probe.ackedThrough.map { "\($0)" } ?? "none")"
                + (probe.reject.map { ", rejected: \($0)" } ?? "")
                + "; seq resends skipped \(resendsByFaults) by the faults, \(max(audit.seqResendsSkipped, resendsByFaults) - resendsByFaults) after the probe"
        )
        result.verdict = verdict
        result.memory = fleet.memory
        result.seconds = Date().timeIntervalSince(started)
        result.retries = generator.settings.retries
        result.allowsLoss = allowLoss
        if result.drainSeconds == nil {
            result.drainSeconds = drainSeconds
            let drainedEvents = max(0, last - countAtStart)
            result.drainRatePerSecond = drainSeconds > 0.5 ? Double(drainedEvents) / drainSeconds : nil
        }
        if !generator.rejectionReasons.isEmpty {
            note(
                "rejections: \(generator.rejectionReasons.map { "\($0.value)× \($0.key)" }.sorted().joined(separator: "; "))"
            )
        }
        if allowLoss {
            note(
                "loss allowed: \(verdict.lost) of \(verdict.acknowledged) acknowledged writes lost by id, \(audit.lost) records by seq"
            )
        }
        if !assertSound { return verdict }
        #expect(
            drained || allowLoss, "not every acknowledged write reached the hub within \(drainTimeout) s: \(verdict)")
        #expect(verdict.acknowledged > 0, "nothing was acknowledged; the run proved nothing")
        #expect(audit.events + audit.samples > 0, "no record was audited by seq; the run proved nothing")
        if !allowLoss {
            #expect(verdict.lost == 0, "\(verdict)")
            #expect(audit.lost == 0, "\(verdict)")
        }
        #expect(verdict.duplicated == 0, "\(verdict)")
        #expect(verdict.phantom == 0, "\(verdict)")
        #expect(verdict.rejectedButStored == 0, "\(verdict)")
        #expect(verdict.unauthorizedStored == 0, "\(verdict)")
        if generator.settings.unauthorized != nil {
            // Each refused write left a hole in its stream that the hub's refusal count explains.
            #expect(verdict.refusedByHub > 0, "no write was refused by the hub; the policy proved nothing: \(verdict)")
            #expect(audit.refused >= verdict.refusedByHub, "the hub's refusals do not explain the holes: \(verdict)")
        }
        #expect(audit.duplicated == 0, "\(verdict)")
        #expect(audit.phantom == 0, "\(verdict)")
        // The probe's records were all stored before: the hwm must skip every one and the hub still acknowledge.
        #expect(probe.reject == nil && probe.ackedThrough == UInt64(probe.seqs.upperBound), "\(probe)")
        #expect(
            audit.seqResendsSkipped >= resendsByFaults + UInt64(probe.seqs.count),
            "the hub did not skip the \(probe.seqs.count) records sent again by seq: \(verdict)")
        if !generator.settings.retries {
            #expect(
                audit.eventIDRetriesSkipped == 0,
                "the application never retried, yet the hub skipped events by id: resends got past the hwm; \(verdict)")
        }
        return verdict
    }

    /// Sets the drain figures measured by the scenario itself (the outage scenario times its own drain).
    func setDrain(seconds: Double, events: Int) {
        result.drainSeconds = seconds
        result.drainRatePerSecond = seconds > 0 ? Double(events) / seconds : nil
    }

    /// Stops the fleet and records the result (once), with every note made after ``finish`` too.
    func stop() {
        sampler?.cancel()
        fleet.stop()
        if !recorded {
            recorded = true
            ResultRecorder.record(result)
        }
    }
}
