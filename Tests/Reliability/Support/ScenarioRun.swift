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

    /// A fleet with `agents` agents (configured by `configure` before they start) and a client per agent.
    init(
        _ name: String, tag: UInt8, agents: Int = 2, hubSettings: String = "", hubListenPort: Int? = nil,
        options: LoadGenerator.Options = .init(), startAgents: Bool = true,
        configure: (Fleet, Int) throws -> Void = { _, _ in }
    ) throws {
        let fleet = try Fleet(name: name, hubSettings: hubSettings, listenPort: hubListenPort)
        self.fleet = fleet
        result = ScenarioResult(scenario: name)
        try fleet.startHub()
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
    /// judges, records and returns the verdict (`drainTimeout` seconds at most for the drain). With
    /// `expectResend`, the hub must have skipped at least one duplicate (the resend path ran).
    @discardableResult
    /// `ownIDsOnly` judges only ids of the load generator (`E6 …`): for scenarios whose probes write
    /// events of their own through the same agent.
    func finish(
        drainTimeout: Double = 120, expectResend: Bool = false, ownIDsOnly: Bool = false
    ) async throws
        -> Verdict
    {
        await generator.stop()
        let ledger = generator.ledger
        let acknowledged = Set(ledger.outcomes.filter { $0.value == .acknowledged }.keys)
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
        let status = try fleet.hubStatus()
        var stored = try fleet.hubStoredEventIDs()
        if ownIDsOnly {
            stored = stored.filter { entry in
                let id = Array(entry.key)
                return id.count == 16 && id[0] == 0xE6 && id[3] == 0 && id[12..<16].allSatisfy { $0 == 0 }
            }
        }
        let verdict = Oracle.judge(ledger: ledger, stored: stored, skippedDuplicates: status.totals.duplicates)
        result.verdict = verdict
        result.memory = fleet.memory
        result.seconds = Date().timeIntervalSince(started)
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
        ResultRecorder.record(result)
        #expect(drained, "not every acknowledged write reached the hub within \(drainTimeout) s: \(verdict)")
        #expect(verdict.acknowledged > 0, "nothing was acknowledged; the run proved nothing")
        #expect(verdict.lost == 0, "\(verdict)")
        #expect(verdict.duplicated == 0, "\(verdict)")
        #expect(verdict.phantom == 0, "\(verdict)")
        #expect(verdict.rejectedButStored == 0, "\(verdict)")
        if expectResend {
            #expect(verdict.skippedDuplicates > 0, "no duplicate reached the hub: the resend path never ran")
        }
        return verdict
    }

    /// Sets the drain figures measured by the scenario itself (the outage scenario times its own drain).
    func setDrain(seconds: Double, events: Int) {
        result.drainSeconds = seconds
        result.drainRatePerSecond = seconds > 0 ? Double(events) / seconds : nil
    }

    /// Stops the fleet.
    func stop() {
        sampler?.cancel()
        fleet.stop()
    }
}
