import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import VigilAnalytics
import VigilConfiguration

/// What a hub keeps its data and decisions in: ``SQLiteEventStore`` on one box, ``PostgresEventStore`` for
/// several replicas.
public typealias HubStore = EventStore & RollupStore & DecisionStateStore & AlertStateStore

/// Everything a running hub consists of, built from its configuration, and the order it stops in.
///
/// Services start in the order of ``services`` and stop in reverse on SIGTERM/SIGINT: the receiver
/// stops first (no new connections or reads; pending commits finish and their acks go out), then the
/// admin API, the evaluation loop, the rollup job and retention, then the webhook notifier (queued
/// notifications get one last try), and the commit queue last, after committing whatever is still queued.
/// Nothing acknowledged is lost; anything not acknowledged is sent again by its agent.
public struct HubRuntime: Sendable {
    /// The configuration it was built from.
    public let configuration: HubConfiguration
    /// The hub's name in `Welcome` and status.
    public let hubID: String
    /// The store.
    public let store: any HubStore
    /// Closes the store's connections last, after everything that uses it stopped (PostgreSQL only).
    let storeCloser: StoreCloser?
    /// Which replica evaluates (PostgreSQL only; with SQLite the one hub always does).
    public let leader: LeaderElection?
    /// The commit queue in front of it.
    public let committer: BatchCommitter
    /// The agent listener.
    public let receiver: AgentReceiver
    /// Raw-data retention.
    public let retention: RetentionService
    /// The minute-rollup job.
    public let rollups: RollupService
    /// Versions, verdicts, breakers, ejections, autoscaling and series.
    public let decisions: DecisionEngine
    /// Runs `decisions` every `evaluation_interval`.
    public let evaluation: EvaluationService
    /// The figures behind the admin API.
    public let reporter: HubReporter
    /// The admin HTTP API.
    public let admin: AdminServer
    /// Alert rules and state; the evaluation loop calls ``AlertManager/evaluate(series:now:)``.
    public let alerts: AlertManager
    /// Delivers alert notifications to the configured webhooks.
    public let notifier: WebhookNotifier
    /// The authorization policy in force.
    public let authorization: AuthorizationState
    /// Reloads hub.yaml on SIGHUP and when it changes (nil when the runtime was built without a file).
    public let reloader: ConfigurationReloader?

    /// Opens the store (applying migrations), loads the TLS files and builds every service.
    /// `onAdminBound` is called with the admin API's address once it listens. `commitsGoTo` chooses the store
    /// the receiver commits batches to (the opened store by default): the reliability harness wraps it in a
    /// deliberately broken one to prove that its oracle notices a broken store. `configurationPath` is the file
    /// the configuration came from: it is reloaded on SIGHUP and whenever it changes (see
    /// ``ConfigurationReloader``).
    public static func make(
        configuration: HubConfiguration,
        configurationPath: String? = nil,
        overrides: [ConfigurationOverride] = [],
        logger: Logger = Logger(label: "vigil.hub"),
        tlsCheckInterval: Duration = .seconds(5),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onAdminBound: @escaping @Sendable (HostPort) async -> Void = { _ in },
        commitsGoTo: @Sendable (any HubStore) -> any EventStore = { $0 }
    ) async throws -> HubRuntime {
        let now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }
        let hubID = configuration.hubID ?? ProcessInfo.processInfo.hostName
        let store: any HubStore
        var storeCloser: StoreCloser?
        var postgresConnection: PostgresEventStore.Connection?
        switch configuration.store.kind {
        case .sqlite:
            store = try SQLiteEventStore.open(
                path: configuration.store.path, durability: configuration.store.durability)
        case .postgres:
            let connection = try PostgresEventStore.Connection.from(configuration.store)
            postgresConnection = connection
            let postgres = try await PostgresEventStore.open(
                connection, hubID: hubID,
                rawRetentionDays: configuration.retention.raw.totalNanoseconds / 86_400_000_000_000,
                timeout: configuration.store.timeout, logger: logger)
            store = postgres
            storeCloser = StoreCloser(postgres)
        }
        // No connection survives a restart.
        try await store.markAllDisconnected()
        let tls: ServerTLS
        do {
            tls = try ServerTLS(files: configuration.tls)
        } catch {
            throw HubStartupError(message: "cannot load the TLS files (tls.ca, tls.cert, tls.key): \(error)")
        }
        let committer = BatchCommitter(store: commitsGoTo(store), now: now, logger: logger)
        let counters = ReceiverCounters()
        let authorization = AuthorizationState(configuration.authorization)
        let reloader = configurationPath.map {
            ConfigurationReloader(
                path: $0, overrides: overrides, running: configuration, authorization: authorization,
                checkInterval: tlsCheckInterval,
                logger: logger, now: now)
        }
        let shared = ReceiverContext(
            settings: .init(
                hubID: hubID, maxFrameBytes: configuration.limits.maxFrameBytes,
                maxBatchRecords: configuration.limits.maxBatchRecords),
            maxConnections: configuration.limits.maxConnections,
            committer: committer,
            counters: counters,
            authorization: authorization,
            logger: logger)
        let receiver = AgentReceiver(
            listen: configuration.listen, shared: shared, tls: tls, tlsCheckInterval: tlsCheckInterval, group: group)
        let rules: [AlertRule]
        do {
            rules = try RuleFile.load(paths: configuration.alerts.rules)
        } catch {
            throw HubStartupError(message: "cannot load the alert rules (alerts.rules): \(error)")
        }
        let notifier = WebhookNotifier(
            urls: configuration.alerts.webhooks.compactMap { URL(string: $0) }, logger: logger)
        let alerts = try await AlertManager(
            rules: rules, repeatInterval: configuration.alerts.repeatInterval, store: store, notifier: notifier,
            logger: logger)
        let rollups = RollupService(store: store, keep: configuration.retention.rollups, now: now, logger: logger)
        let alertLogger = logger
        let decisions = DecisionEngine(
            settings: DecisionSettings(configuration: configuration), store: store, rollups: rollups,
            clock: ContinuousClock(), logger: logger,
            onSeries: { series, instant in
                do {
                    _ = try await alerts.evaluate(series: series, now: instant)
                } catch {
                    alertLogger.warning("alert evaluation failed", metadata: ["error": "\(error)"])
                }
            })
        // Several replicas on one PostgreSQL: only the one holding the leader lock evaluates (and notifies);
        // the others show the leader's results from the store.
        var replicas: Replicas?
        if let postgres = store as? PostgresEventStore, let postgresConnection {
            replicas = Replicas(
                store: postgres, connection: postgresConnection, configuration: configuration, hubID: hubID,
                alerts: alerts, decisions: decisions, now: now, logger: logger)
        }
        // Retention and partition upkeep: the leader's alone when there are replicas.
        var retentionLeads: (@Sendable () -> Bool)?
        if let election = replicas?.election { retentionLeads = { election.isLeader } }
        let retention = RetentionService(
            store: store, keep: configuration.retention.raw, now: now, leads: retentionLeads, logger: logger)
        let evaluation = EvaluationService(
            engine: decisions, interval: configuration.evaluationInterval, now: now, leads: replicas?.leads,
            publish: replicas?.publish)
        let reporter = HubReporter(
            hubID: hubID, startedUnixNano: now(), store: store, committer: committer, counters: counters,
            retention: retention, now: now, alertManager: alerts, notifier: notifier,
            currentAlerts: replicas?.currentAlerts, replicas: replicas?.list, authorization: authorization,
            reloader: reloader)
        let admin = try AdminServer(
            address: configuration.admin, auth: configuration.adminAuth, tls: configuration.adminTLS,
            reporter: reporter, decisions: decisions,
            recommendations: replicas?.recommendations, onBound: onAdminBound, logger: logger)
        return HubRuntime(
            configuration: configuration, hubID: hubID, store: store, storeCloser: storeCloser,
            leader: replicas?.election,
            committer: committer,
            receiver: receiver,
            retention: retention, rollups: rollups, decisions: decisions, evaluation: evaluation, reporter: reporter,
            admin: admin, alerts: alerts, notifier: notifier, authorization: authorization, reloader: reloader)
    }

    /// The services, in start order; they stop in reverse.
    public var services: [any Service] {
        let closer: [any Service] = storeCloser.map { [$0] } ?? []
        let election: [any Service] = leader.map { [$0] } ?? []
        let reload: [any Service] = reloader.map { [$0] } ?? []
        return closer + election + [committer, notifier, retention, rollups, evaluation, admin] + reload + [receiver]
    }

    /// One `ServiceGroup` that stops gracefully on SIGTERM and SIGINT.
    public func serviceGroup(logger: Logger) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }
}

/// Waits for graceful shutdown, then closes the PostgreSQL pool: it starts first, so it stops last.
final class StoreCloser: Service, Sendable {
    private let store: PostgresEventStore

    init(_ store: PostgresEventStore) { self.store = store }

    func run() async throws {
        try? await gracefulShutdown()
        store.close()
    }
}
