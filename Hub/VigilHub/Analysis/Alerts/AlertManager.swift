import Logging
import VigilAnalytics

/// The alerting shell around the pure ``AlertEvaluator``: the hub's evaluation loop calls
/// ``evaluate(series:now:)`` once per `evaluation_interval` with the complete current series; the manager
/// runs the rules, hands the resulting notifications to the ``WebhookNotifier``, and saves the alert state
/// in the hub database so a restarted hub resumes pending and firing alerts (and does not notify again
/// before the repeat interval).
///
/// Invariants: evaluations are serialised (an actor); notifications are queued before the state that
/// records them as sent is saved, so a crash in between repeats a notification rather than losing it.
public actor AlertManager {
    /// The loaded rules.
    public nonisolated let rules: [AlertRule]
    private var evaluator: AlertEvaluator
    private let repeatInterval: Duration
    private let store: any AlertStateStore
    private let notifier: WebhookNotifier
    private let logger: Logger
    private var evaluations: UInt64 = 0
    private var lastEvaluation: Instant?
    private var saveFailures: UInt64 = 0

    /// Creates the manager, resuming the alert state saved in `store`.
    public init(
        rules: [AlertRule], repeatInterval: Duration, store: any AlertStateStore, notifier: WebhookNotifier,
        logger: Logger = Logger(label: "vigil.hub.alerts")
    ) async throws(StoreError) {
        let saved = try await store.loadAlerts()
        if saved.unreadable > 0 {
            logger.warning("skipped unreadable saved alerts", metadata: ["alerts.unreadable": "\(saved.unreadable)"])
        }
        self.rules = rules
        self.repeatInterval = repeatInterval
        self.evaluator = AlertEvaluator(rules: rules, repeatInterval: repeatInterval, restoring: saved.alerts)
        self.store = store
        self.notifier = notifier
        self.logger = logger
    }

    /// Replaces the alert state with what the store holds (a replica that just became leader continues the
    /// previous leader's alerts, so nothing it notified is notified again before the repeat interval).
    public func reload() async throws(StoreError) {
        let saved = try await store.loadAlerts()
        evaluator = AlertEvaluator(rules: rules, repeatInterval: repeatInterval, restoring: saved.alerts)
    }

    /// Runs one evaluation at `now` over the complete current `series`: updates every alert, queues the
    /// notifications it yields (also returned) and saves the state. A save failure is thrown after the
    /// notifications were queued; the in-memory state stays current.
    @discardableResult
    public func evaluate(series: [SeriesValue], now: Instant) async throws(StoreError) -> [AlertNotification] {
        let notifications = evaluator.evaluate(series, at: now)
        evaluations += 1
        lastEvaluation = now
        for notification in notifications {
            notifier.enqueue(notification)
            logger.info(
                "alert \(notification.status.rawValue)",
                metadata: ["alert.rule": "\(notification.rule)", "alert.severity": "\(notification.severity.rawValue)"])
        }
        do {
            try await store.saveAlerts(evaluator.currentAlerts, at: now.nanosecondsSinceEpoch)
        } catch {
            saveFailures += 1
            throw error
        }
        return notifications
    }

    /// Every tracked alert: pending, firing and recently resolved.
    public var alerts: [ActiveAlert] { evaluator.currentAlerts }

    /// Figures for status: evaluations run, the last one, and state saves that failed.
    public var figures: (evaluations: UInt64, lastEvaluation: Instant?, saveFailures: UInt64) {
        (evaluations, lastEvaluation, saveFailures)
    }
}
