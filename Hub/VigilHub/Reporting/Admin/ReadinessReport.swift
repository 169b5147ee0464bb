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
    /// Probes the store and reads the committer's last failure; `detailed` shows error texts.
    public func readiness(detailed: Bool) async -> ReadinessReport {
        let store = store
        var probe: (any Error)?
        do {
            // A probe that hangs (a silent PostgreSQL link, another process holding SQLite's lock) is an answer.
            try await PostgresPool.race(
                within: ReadinessReport.probeLimit, location: store.location,
                { try await store.probeWritable() }, onTimeout: {})
        } catch {
            probe = error
        }
        return ReadinessReport.judge(
            hubID: hubID, probe: probe, lastFailure: committer.lastFailure, nowUnixNano: now(), detailed: detailed)
    }
}
