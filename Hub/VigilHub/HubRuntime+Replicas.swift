import Logging
import VigilAnalytics

/// How a hub on PostgreSQL takes part in a tier of replicas: the leader election, and what a replica that
/// does not lead shows instead of its own (idle) evaluation — the leader's last recommendations and alerts,
/// from the store, so every replica answers `/v1/recommendations` and `/v1/alerts` alike.
struct Replicas: Sendable {
    let election: LeaderElection
    let store: PostgresEventStore
    let alerts: AlertManager
    let decisions: DecisionEngine
    let now: @Sendable () -> Int64

    init(
        store: PostgresEventStore, connection: PostgresEventStore.Connection, configuration: HubConfiguration,
        hubID: String, alerts: AlertManager, decisions: DecisionEngine, now: @escaping @Sendable () -> Int64,
        logger: Logger
    ) {
        self.store = store
        self.alerts = alerts
        self.decisions = decisions
        self.now = now
        election = LeaderElection(
            connection: connection, hubID: hubID,
            listen: configuration.listen.description, admin: configuration.admin.description,
            tryInterval: configuration.evaluationInterval / 2, logger: logger,
            onElected: {
                // Continue where the previous leader stopped: its alerts (so none is notified again before the
                // repeat interval) and its breakers and autoscaler histories.
                do {
                    try await alerts.reload()
                } catch {
                    logger.warning("cannot reload the alert state", metadata: ["error": "\(error)"])
                }
                await decisions.reloadStateAtNextEvaluation()
            })
    }

    /// The replicas' heartbeats, for status: alive when beaten within three tries of the lock.
    var list: @Sendable () async throws(StoreError) -> [StatusReport.Replica] {
        { [store, now, election] () async throws(StoreError) in
            try await store.replicas(now: now(), stale: election.tryInterval * 3)
        }
    }

    /// Asked before each evaluation: only the leader evaluates.
    var leads: @Sendable () async -> Bool {
        { [election] in await election.confirm() }
    }

    /// After each of the leader's evaluations: its report, saved for the others with the instant it evaluated.
    var publish: @Sendable (RecommendationsReport, Instant) async -> Void {
        { [store] report, instant in try? await store.saveRecommendations(report, at: instant.nanosecondsSinceEpoch) }
    }

    /// The current alerts: this replica's while it leads, else the leader's last saved ones.
    var currentAlerts: @Sendable () async -> [ActiveAlert] {
        { [election, alerts, store] in
            if election.isLeader { return await alerts.alerts }
            return (try? await store.loadAlerts().alerts) ?? []
        }
    }

    /// The recommendations: this replica's while it leads, else the leader's last saved ones.
    var recommendations: @Sendable () async -> RecommendationsReport {
        { [election, decisions, store] in
            if !election.isLeader, let saved = try? await store.loadRecommendations() { return saved }
            return await decisions.recommendations
        }
    }
}
