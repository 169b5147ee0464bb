import Foundation
import VigilAnalytics
import VigilProtocol

/// Gathers the figures the admin API shows from the store (all-time totals, agents) and the running
/// parts (receiver counters, commit queue, retention). One source for `/v1/status`, `/v1/agents` and
/// `/metrics`, so they always agree.
public struct HubReporter: Sendable {
    /// The hub's name.
    public let hubID: String
    /// When the hub started (Unix ns).
    public let startedUnixNano: Int64
    let store: any EventStore
    let committer: BatchCommitter
    let counters: ReceiverCounters
    let retention: RetentionService?
    let now: @Sendable () -> Int64
    let alertManager: AlertManager?
    let notifier: WebhookNotifier?
    /// What `/v1/alerts` and status show as the current alerts (default: the alert manager's; a replica that
    /// does not lead shows the leader's, from the store).
    let currentAlerts: (@Sendable () async -> [ActiveAlert])?
    /// The replicas sharing the store (PostgreSQL), for status.
    let replicas: (@Sendable () async throws(StoreError) -> [StatusReport.Replica])?
    let authorization: AuthorizationState?
    let reloader: ConfigurationReloader?
    /// `/readyz`'s store probe, shared by every copy of this reporter.
    let storeProbe = StoreProbe()

    /// Creates a reporter; `now` gives Unix time in nanoseconds.
    public init(
        hubID: String, startedUnixNano: Int64, store: any EventStore, committer: BatchCommitter,
        counters: ReceiverCounters, retention: RetentionService?, now: @escaping @Sendable () -> Int64,
        alertManager: AlertManager? = nil, notifier: WebhookNotifier? = nil,
        currentAlerts: (@Sendable () async -> [ActiveAlert])? = nil,
        replicas: (@Sendable () async throws(StoreError) -> [StatusReport.Replica])? = nil,
        authorization: AuthorizationState? = nil, reloader: ConfigurationReloader? = nil
    ) {
        self.authorization = authorization
        self.reloader = reloader
        self.replicas = replicas
        self.currentAlerts = currentAlerts
        self.alertManager = alertManager
        self.notifier = notifier
        self.hubID = hubID
        self.startedUnixNano = startedUnixNano
        self.store = store
        self.committer = committer
        self.counters = counters
        self.retention = retention
        self.now = now
    }

    /// The status report as of now.
    public func status() async throws(StoreError) -> StatusReport {
        let totals = try await store.totals()
        let at = now()
        let (commits, rate) = committer.counters(atUnixNano: at)
        let received = counters.snapshot
        var rejects: [String: UInt64] = [:]
        for code in Vigil_V1_Reject.Code.sentByHub { rejects[code.label] = 0 }
        for (code, count) in received.rejects { rejects[code] = count }
        var handshakeFailures: [String: UInt64] = [:]
        for reason in HandshakeFailure.allCases { handshakeFailures[reason.rawValue] = 0 }
        for (reason, count) in received.tlsHandshakeFailuresByReason { handshakeFailures[reason] = count }
        var report = StatusReport(
            hubVersion: VigilHubInfo.version,
            hubID: hubID,
            uptimeSeconds: Double(max(0, at - startedUnixNano)) / 1e9,
            store: .init(kind: store.kind, path: store.location),
            ingest: .init(recordsPerSecond: rate, windowSeconds: 10, queuedRecords: committer.queuedRecords),
            totals: .init(
                records: totals.records, events: totals.events, samples: totals.samples,
                duplicates: totals.duplicates, duplicateSeqs: totals.duplicateSeqs,
                duplicateEvents: totals.duplicateEvents, gaps: totals.gaps, missingRecords: totals.missingRecords,
                agents: totals.agents, streams: totals.streams, retentionDeleted: retention?.deleted ?? 0),
            rejects: rejects,
            tlsHandshakeFailures: received.tlsHandshakeFailures,
            tlsHandshakeFailuresByReason: handshakeFailures,
            agentsConnected: received.agentsConnected,
            connections: .init(
                open: received.connectionsOpen, accepted: received.connectionsAccepted,
                batchesReceived: received.batchesReceived, recordsReceived: received.recordsReceived,
                commits: commits.commits, commitFailures: commits.commitFailures)
        )
        report.alerting.notifications = notifier?.counters.snapshot ?? .init()
        report.authorization.refusedByReason = totals.refused
        report.authorization.refusedByAgent = totals.refusedByAgent
        if let policy = authorization?.current.policy {
            report.authorization.mode = "policy"
            report.authorization.policy = policy.summary
        }
        if let reload = reloader?.status {
            report.authorization.reloads = reload.reloads
            report.authorization.reloadFailures = reload.failures
            report.authorization.lastReloadError = reload.lastError
            report.authorization.needsRestart = reload.needsRestart
        }
        if let replicas { report.replicas = try await replicas() }
        if let alertManager {
            let alerts: [ActiveAlert]
            if let currentAlerts { alerts = await currentAlerts() } else { alerts = await alertManager.alerts }
            let figures = await alertManager.figures
            report.alerting.rules = alertManager.rules.count
            report.alerting.firing = alerts.count { $0.state == .firing }
            report.alerting.pending = alerts.count { $0.state == .pending }
            report.alerting.evaluations = figures.evaluations
            report.alerting.saveFailures = figures.saveFailures
        }
        return report
    }

    /// The alerts passing `filter`, as of the last evaluation.
    public func alerts(_ filter: AlertsFilter = AlertsFilter()) async -> AlertsReport {
        guard let alertManager else { return AlertsReport(rules: 0, alerts: []) }
        let alerts: [ActiveAlert]
        if let currentAlerts { alerts = await currentAlerts() } else { alerts = await alertManager.alerts }
        return AlertsReport(rules: alertManager.rules.count, alerts: alerts.filter(filter.matches))
    }

    /// The agents passing `filter`, as of now.
    public func agents(_ filter: AgentsFilter = AgentsFilter()) async throws(StoreError) -> AgentsReport {
        let at = now()
        let backlogs = counters.backlogRecords
        let agents = try await store.agents().filter(filter.matches).map { agent in
            AgentsReport.Agent(
                id: agent.agentID,
                hostname: agent.hostname,
                agentVersion: agent.agentVersion,
                labels: agent.labels,
                connected: agent.connected,
                lastSeen: Self.rfc3339(agent.lastSeenUnixNano),
                lastSeenUnixNano: agent.lastSeenUnixNano,
                lagSeconds: agent.newestRecordUnixNano.map { max(0, Double(at - $0) / 1e9) },
                records: agent.records,
                duplicates: agent.duplicates,
                gaps: agent.gaps,
                streams: agent.streams,
                refused: agent.refusedTotal,
                refusedByReason: Dictionary(uniqueKeysWithValues: agent.refused.map { ($0.key.rawValue, $0.value) }),
                lastRefusedService: agent.lastRefusedService,
                backlogRecords: backlogs[agent.agentID])
        }
        return AgentsReport(agents: agents)
    }

    /// `/metrics` in the Prometheus text format.
    public func metrics() async throws(StoreError) -> String {
        PrometheusText.render(try await status())
    }

    static func rfc3339(_ unixNano: Int64) -> String {
        Date(timeIntervalSince1970: Double(unixNano) / 1e9).formatted(.iso8601)
    }
}
