import Foundation
import Logging
import ServiceLifecycle
import Testing
import VigilAnalytics
import VigilTestSupport

@testable import VigilHub

/// A firing notification for tests.
func sampleNotification(rule: String = "HighErrorRate", value: Double = 0.5) throws -> AlertNotification {
    let alertRule = try AlertRule(
        name: rule, selector: SeriesSelector(name: .errorRate), critical: 0.2,
        annotations: ["summary": try AlertTemplate("{{ $labels.service }} errors")])
    var evaluator = AlertEvaluator(rules: [alertRule])
    let series = [SeriesValue(name: .errorRate, labels: ["service": "checkout"], value: value)]
    return try #require(evaluator.evaluate(series, at: .seconds(1_700_000_000)).first)
}

/// Runs `notifier` as a service for the duration of `body`, then shuts it down gracefully.
func running<T: Sendable>(_ notifier: WebhookNotifier, _ body: @Sendable () async throws -> T) async throws -> T {
    var logger = Logger(label: "vigil.test.notifier")
    logger.logLevel = .critical
    let group = ServiceGroup(configuration: .init(services: [notifier], logger: logger))
    return try await whileRunning(group, body)
}

func quietLogger() -> Logger {
    var logger = Logger(label: "vigil.test")
    logger.logLevel = .critical
    return logger
}

@Suite("Webhook notifier", .timeLimit(.minutes(3)))
struct WebhookNotifierTests {
    let fastRetry = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))

    @Test("POSTs the JSON payload with status, labels, annotations, times and a Slack text")
    func delivers() async throws {
        let notification = try sampleNotification()
        try await WebhookReceiver.with { receiver, url in
            let notifier = WebhookNotifier(urls: [url], retry: fastRetry, logger: quietLogger())
            try await running(notifier) {
                #expect(notifier.enqueue(notification))
                #expect(await eventually(60) { notifier.counters.snapshot.sent == 1 })
            }
            let body = try #require(try receiver.delivered().first)
            #expect(body["status"] as? String == "firing")
            #expect(body["rule"] as? String == "HighErrorRate")
            #expect(body["severity"] as? String == "critical")
            #expect((body["labels"] as? [String: String])?["service"] == "checkout")
            #expect((body["annotations"] as? [String: String])?["summary"] == "checkout errors")
            #expect(body["value"] as? Double == 0.5)
            #expect(body["starts_at"] as? String == "2023-11-14T22:13:20Z")
            #expect(body["ends_at"] == nil)
            let text = try #require(body["text"] as? String)
            #expect(text.hasPrefix("[FIRING] HighErrorRate critical service=checkout"))
            #expect(notifier.counters.snapshot.failed == 0)
            #expect(notifier.counters.snapshot.retried == 0)
        }
    }

    @Test("retries after 500s with growing delays, then succeeds")
    func retriesThenSucceeds() async throws {
        let notification = try sampleNotification()
        try await WebhookReceiver.with(failures: 2) { receiver, url in
            let notifier = WebhookNotifier(urls: [url], retry: fastRetry, logger: quietLogger())
            try await running(notifier) {
                notifier.enqueue(notification)
                #expect(await eventually(60) { notifier.counters.snapshot.sent == 1 })
            }
            let counters = notifier.counters.snapshot
            #expect(counters.retried == 2)
            #expect(counters.failed == 0)
            #expect(counters.lastError?.contains("answered 500") == true)
            let times = receiver.attempts.map(\.at)
            try #require(times.count == 3)
            // Jittered delays are at least half the nominal 20 ms and 40 ms.
            #expect(times[1] - times[0] >= .milliseconds(10))
            #expect(times[2] - times[1] >= .milliseconds(20))
            #expect(try receiver.delivered().count == 1)
        }
    }

    @Test("gives up after the last attempt and counts the failure")
    func givesUp() async throws {
        let notification = try sampleNotification()
        try await WebhookReceiver.with(failures: 100, failureStatus: .serviceUnavailable) { receiver, url in
            let notifier = WebhookNotifier(urls: [url], retry: fastRetry, logger: quietLogger())
            try await running(notifier) {
                notifier.enqueue(notification)
                #expect(await eventually(60) { notifier.counters.snapshot.failed == 1 })
            }
            #expect(receiver.attempts.count == 4)
            #expect(notifier.counters.snapshot.retried == 3)
            #expect(notifier.counters.snapshot.sent == 0)
        }
    }

    @Test("a 400 answer is not retried")
    func clientErrorNotRetried() async throws {
        let notification = try sampleNotification()
        try await WebhookReceiver.with(failures: 100, failureStatus: .badRequest) { receiver, url in
            let notifier = WebhookNotifier(urls: [url], retry: fastRetry, logger: quietLogger())
            try await running(notifier) {
                notifier.enqueue(notification)
                #expect(await eventually(60) { notifier.counters.snapshot.failed == 1 })
            }
            #expect(receiver.attempts.count == 1)
            #expect(notifier.counters.snapshot.retried == 0)
        }
    }

    @Test("an unreachable URL is retried and then counted as failed")
    func unreachable() async throws {
        let notification = try sampleNotification()
        // Port 1 on loopback refuses connections.
        let notifier = WebhookNotifier(
            urls: [URL(string: "http://127.0.0.1:1/hook")!],
            retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(5)),
            logger: quietLogger())
        try await running(notifier) {
            notifier.enqueue(notification)
            #expect(await eventually(60) { notifier.counters.snapshot.failed == 1 })
        }
        #expect(notifier.counters.snapshot.retried == 1)
    }

    @Test("a full queue drops the newest notification and counts it")
    func dropsWhenFull() throws {
        let notification = try sampleNotification()
        let notifier = WebhookNotifier(
            urls: [URL(string: "http://127.0.0.1:1/hook")!], capacity: 2, logger: quietLogger())
        #expect(notifier.enqueue(notification))
        #expect(notifier.enqueue(notification))
        #expect(!notifier.enqueue(notification))
        #expect(notifier.counters.snapshot.dropped == 1)
        #expect(notifier.counters.snapshot.queued == 2)
    }

    @Test("backoff doubles up to the cap and jitter stays within half to full")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 10, initialDelay: .seconds(1), maxDelay: .seconds(60))
        #expect(policy.delay(afterAttempt: 1, fraction: 0.999_999) <= .seconds(1))
        #expect(policy.delay(afterAttempt: 1, fraction: 0) == .milliseconds(500))
        #expect(policy.delay(afterAttempt: 3, fraction: 0) == .seconds(2))
        #expect(policy.delay(afterAttempt: 20, fraction: 0) == .seconds(30))
        #expect(policy.delay(afterAttempt: 20, fraction: 0.999_999) <= .seconds(60))
        #expect(policy.delay(afterAttempt: 20, fraction: 0.999_999) > .seconds(59))
    }
}
