import Synchronization

/// The body of `GET /readyz`: whether this hub can store what agents send now, check by check. A load
/// balancer or Kubernetes sends agents only to a ready hub; `/healthz` says only that the process answers.
///
/// Invariants:
/// - **Ready means a commit could succeed now**: the store takes its write lock or says it takes writes
///   (``EventStore/probeWritable()``) within ``ReadinessReport/probeLimit``, and no commit failed in the last
///   ``ReadinessReport/failureMemorySeconds`` without one succeeding since. A disk-full SQLite file passes the
///   probe (taking the lock writes nothing) but fails its commits, so the second check catches it.
/// - **Not ready is not forever.** A failed commit counts only for a while: a hub taken out of a load
///   balancer gets no batches, so no commit could ever succeed to clear it; once the memory passes, the
///   agents' next batches test the store again.
/// - **Details only for the trusted.** Anyone may ask (probes carry no token), but the store's location and
///   error texts are shown only when admin access is open or the request is signed in.
public struct ReadinessReport: Sendable, Hashable, Codable {
    /// One condition of readiness.
    public struct Check: Sendable, Hashable, Codable {
        /// `store` or `commits`.
        public var name: String
        /// Whether it holds.
        public var ok: Bool
        /// What was found.
        public var detail: String
    }

    /// All checks hold.
    public var ready: Bool
    /// The hub's name.
    public var hubID: String
    /// Each check, in a fixed order.
    public var checks: [Check]

    enum CodingKeys: String, CodingKey {
        case ready, checks
        case hubID = "hub_id"
    }

    /// How long the store's write probe may take.
    public static let probeLimit = Duration.seconds(2)
    /// How long a failed commit keeps the hub not ready when nothing succeeded since.
    public static let failureMemorySeconds: Int64 = 30

    /// The report of a probe outcome (`nil` for success) and the committer's last failure, as of `nowUnixNano`;
    /// `detailed` shows error texts.
    static func judge(
        hubID: String, probe: (any Error)?, lastFailure: BatchCommitter.CommitFailure?, nowUnixNano: Int64,
        detailed: Bool
    ) -> ReadinessReport {
        let store: Check
        if let probe {
            let code = (probe as? StoreError).map { "\($0.code)" } ?? "timeout"
            store = Check(
                name: "store", ok: false,
                detail: detailed ? "not writable: \(probe)" : "not writable (\(code)); details need admin access")
        } else {
            store = Check(name: "store", ok: true, detail: "writable")
        }
        let commits: Check
        if let failure = lastFailure,
            nowUnixNano - failure.atUnixNano < failureMemorySeconds * 1_000_000_000
        {
            let ago = max(0, nowUnixNano - failure.atUnixNano) / 1_000_000_000
            commits = Check(
                name: "commits", ok: false,
                detail: "the last commit failed \(ago) s ago, none succeeded since"
                    + (detailed ? ": \(failure.error)" : " (\(failure.error.code))"))
        } else if lastFailure != nil {
            commits = Check(
                name: "commits", ok: true,
                detail: "the last commit failed over \(failureMemorySeconds) s ago; the next batches try again")
        } else {
            commits = Check(name: "commits", ok: true, detail: "no failed commit since the last success")
        }
        return ReadinessReport(ready: store.ok && commits.ok, hubID: hubID, checks: [store, commits])
    }
}

extension HubReporter {
    /// Probes the store (at most one probe at a time, see ``StoreProbe``) and reads the committer's last
    /// failure; `detailed` shows error texts.
    public func readiness(detailed: Bool) async -> ReadinessReport {
        let probe = await storeProbe.check(store)
        return ReadinessReport.judge(
            hubID: hubID, probe: probe, lastFailure: committer.lastFailure, nowUnixNano: now(), detailed: detailed)
    }
}

/// The store's write probe behind `/readyz`, one at a time, its answer reused for a second: the kubelet,
/// a load balancer and anyone who can reach the admin port cannot pile probes up on SQLite's writer or the
/// PostgreSQL pool (a probe that gave up at its deadline may still hold either until the store answers).
final class StoreProbe: Sendable {
    /// How long an answer is reused.
    static let reuse = Duration.seconds(1)

    private enum Next {
        case answer((any Error)?)
        case wait(Task<(any Error)?, Never>)
    }

    private let state = Mutex<
        (running: Task<(any Error)?, Never>?, last: (at: ContinuousClock.Instant, error: (any Error)?)?)
    >(
        (nil, nil))

    /// The probe's outcome: `nil` when the store takes writes.
    func check(_ store: any EventStore) async -> (any Error)? {
        let next = state.withLock { state -> Next in
            if let last = state.last, ContinuousClock.now - last.at < Self.reuse { return .answer(last.error) }
            if let running = state.running { return .wait(running) }
            let task = Task { () -> (any Error)? in
                do {
                    // A probe that hangs (a silent PostgreSQL link, another process holding SQLite's lock) is
                    // an answer.
                    try await PostgresPool.race(
                        within: ReadinessReport.probeLimit, location: store.location,
                        { try await store.probeWritable() }, onTimeout: {})
                    return nil
                } catch {
                    return error
                }
            }
            state.running = task
            return .wait(task)
        }
        switch next {
        case .answer(let error):
            return error
        case .wait(let task):
            let error = await task.value
            state.withLock { state in
                if state.running == task {
                    state.running = nil
                    state.last = (ContinuousClock.now, error)
                }
            }
            return error
        }
    }
}
