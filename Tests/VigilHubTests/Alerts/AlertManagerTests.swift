import Foundation
import GRDB
import Testing
import VigilAnalytics
import VigilTestSupport

@testable import VigilHub

@Suite("Alert manager: rules, SQLite state, webhooks", .timeLimit(.minutes(3)))
struct AlertManagerTests {
    static let rulesYAML = """
        rules:
          - name: QueueBacklog
            series: 'queue_depth{service="checkout"}'
            warning: 100
            for: 30s
            annotations:
              summary: "{{ $labels.host }} queue at {{ $value }}"
        """

    func series(_ depth: Double) -> [SeriesValue] {
        [
            SeriesValue(name: .queueDepth, labels: ["service": "checkout", "host": "web-01"], value: depth),
            SeriesValue(name: .queueDepth, labels: ["service": "search", "host": "web-02"], value: 999),
        ]
    }

    @Test("an alert with for 30s fires after 30 s and not before, its webhook arrives, and a restart resumes it")
    func forThirtySeconds() async throws {
        let directory = TemporaryDirectory()
        let rules = try RuleFile.load(yaml: Self.rulesYAML, source: "rules.yaml")
        let start = Int64(1_700_000_000)
        try await WebhookReceiver.with { receiver, url in
            let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
            let notifier = WebhookNotifier(
                urls: [url], retry: RetryPolicy(initialDelay: .milliseconds(10)), logger: quietLogger())
            try await running(notifier) {
                let manager = try await AlertManager(
                    rules: rules, repeatInterval: .seconds(3600), store: store, notifier: notifier,
                    logger: quietLogger())
                for second in [0, 10, 20, 29] as [Int64] {
                    let sent = try await manager.evaluate(series: series(250), now: .seconds(start + second))
                    #expect(sent.isEmpty, "nothing is sent at \(second) s")
                    #expect(await manager.alerts.map(\.state) == [.pending], "pending at \(second) s")
                }
                let fired = try await manager.evaluate(series: series(250), now: .seconds(start + 30))
                #expect(fired.map(\.status) == [.firing])
                #expect(await manager.alerts.map(\.state) == [.firing])
                #expect(await eventually(60) { notifier.counters.snapshot.sent == 1 })
            }
            let delivered = try receiver.delivered()
            #expect(delivered.count == 1)
            #expect(delivered.first?["status"] as? String == "firing")
            #expect(delivered.first?["rule"] as? String == "QueueBacklog")
            #expect((delivered.first?["labels"] as? [String: String])?["host"] == "web-01")
            #expect((delivered.first?["annotations"] as? [String: String])?["summary"] == "web-01 queue at 250")

            // Restart: a new manager and notifier on the same database file.
            let reopened = try SQLiteEventStore.open(path: directory.file("hub.db"))
            let notifier2 = WebhookNotifier(urls: [url], logger: quietLogger())
            try await running(notifier2) {
                let manager = try await AlertManager(
                    rules: rules, repeatInterval: .seconds(3600), store: reopened, notifier: notifier2,
                    logger: quietLogger())
                let resumed = await manager.alerts
                #expect(resumed.map(\.state) == [.firing])
                #expect(resumed.first?.activeAt == .seconds(start))
                #expect(resumed.first?.lastSentAt == .seconds(start + 30))
                let again = try await manager.evaluate(series: series(260), now: .seconds(start + 40))
                #expect(again.isEmpty, "no re-notification before the repeat interval")
                let repeated = try await manager.evaluate(series: series(260), now: .seconds(start + 30 + 3600))
                #expect(repeated.map(\.status) == [.firing])
                let resolved = try await manager.evaluate(series: series(5), now: .seconds(start + 3640))
                #expect(resolved.map(\.status) == [.resolved])
                #expect(await eventually(60) { notifier2.counters.snapshot.sent == 2 })
            }
            #expect(try receiver.delivered().map { $0["status"] as? String } == ["firing", "firing", "resolved"])
            #expect(receiver.attempts.count == 3)
        }
    }

    @Test("the alert state is saved in the alert_state table after each evaluation")
    func savesState() async throws {
        let directory = TemporaryDirectory()
        let store = try SQLiteEventStore.open(path: directory.file("hub.db"))
        #expect(try store.appliedMigrations().contains("v2-alert-state"))
        let notifier = WebhookNotifier(urls: [], logger: quietLogger())
        let manager = try await AlertManager(
            rules: try RuleFile.load(yaml: Self.rulesYAML, source: "rules.yaml"), repeatInterval: .seconds(60),
            store: store, notifier: notifier, logger: quietLogger())
        try await manager.evaluate(series: series(250), now: .seconds(100))
        let queue = try DatabaseQueue(path: directory.file("hub.db"))
        let states = try await queue.read { db in try String.fetchAll(db, sql: "SELECT state FROM alert_state") }
        #expect(states == ["pending"])
        try await manager.evaluate(series: series(1), now: .seconds(110))
        let after = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM alert_state") }
        #expect(after == 0)
    }
}

extension AlertManagerTests {
    @Test("a replica that becomes leader continues the previous leader's alerts: a firing alert is not sent again")
    func leaderChangeDoesNotNotifyTwice() async throws {
        let rules = try RuleFile.load(yaml: Self.rulesYAML, source: "rules.yaml")
        let start = Int64(1_700_000_000)
        let fixture = try await StoreFixture.open(.postgres, hubID: "hub-a")
        let storeB = try await fixture.reopen(hubID: "hub-b")
        try await WebhookReceiver.with { receiver, url in
            let notifierA = WebhookNotifier(
                urls: [url], retry: RetryPolicy(initialDelay: .milliseconds(10)), logger: quietLogger())
            let notifierB = WebhookNotifier(
                urls: [url], retry: RetryPolicy(initialDelay: .milliseconds(10)), logger: quietLogger())
            try await running(notifierA) {
                try await running(notifierB) {
                    // Both replicas start with the (empty) saved state; only hub a leads at first.
                    let a = try await AlertManager(
                        rules: rules, repeatInterval: .seconds(3600), store: fixture.store, notifier: notifierA,
                        logger: quietLogger())
                    let b = try await AlertManager(
                        rules: rules, repeatInterval: .seconds(3600), store: storeB, notifier: notifierB,
                        logger: quietLogger())
                    for second in [0, 10, 20, 30] as [Int64] {
                        _ = try await a.evaluate(series: series(250), now: .seconds(start + second))
                    }
                    #expect(await eventually(60) { notifierA.counters.snapshot.sent == 1 })
                    // Hub a dies; hub b takes the lock and reloads (what LeaderElection's onElected does).
                    try await b.reload()
                    #expect(await b.alerts.map(\.state) == [.firing])
                    for second in [40, 50, 70, 100] as [Int64] {
                        let sent = try await b.evaluate(series: series(260), now: .seconds(start + second))
                        #expect(sent.isEmpty, "hub b notified again at \(second) s")
                    }
                }
            }
            #expect(try receiver.delivered().count == 1)
        }
    }
}
