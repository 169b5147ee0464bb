import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilAnalytics

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Delivers alert notifications to the configured webhook URLs (DESIGN §5) as a `Service`.
///
/// Invariants:
/// - **Bounded.** ``enqueue(_:)`` never blocks: notifications wait in a queue of `capacity`; when it is
///   full the newest is dropped and counted.
/// - **Retried.** Each (notification, URL) delivery is POSTed until a 2xx answer, with exponential backoff
///   and jitter (``RetryPolicy``) after network errors, 5xx and 429; a 4xx other than 429 is not retried.
///   Giving up is counted as `failed`; every repeat as `retried`. URLs are served concurrently, one
///   notification at a time, in the order they were queued.
/// - **Shutdown.** On graceful shutdown the queue is closed; what is already queued is tried once more each,
///   without retries, then the service returns.
public final class WebhookNotifier: Service, Sendable {
    /// The URLs POSTed to.
    public let urls: [URL]
    /// The retry policy.
    public let retry: RetryPolicy
    /// What was sent, failed, retried and dropped.
    public let counters = NotifierCounters()
    private let stream: AsyncStream<AlertNotification>
    private let continuation: AsyncStream<AlertNotification>.Continuation
    private let session: URLSession
    private let logger: Logger
    private let stopping = Stopping()

    /// Creates a notifier for `urls` (http or https) holding up to `capacity` queued notifications.
    public init(
        urls: [URL], retry: RetryPolicy = RetryPolicy(), capacity: Int = 1000, timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "vigil.hub.notifier")
    ) {
        self.urls = urls
        self.retry = retry
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(
            of: AlertNotification.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeout.components.seconds)
        configuration.httpAdditionalHeaders = ["User-Agent": "vigil-hub/\(VigilHubInfo.version)"]
        session = URLSession(configuration: configuration)
    }

    /// Queues `notification` for every URL; returns false (and counts a drop) when the queue is full or
    /// the notifier has stopped. With no URLs configured it does nothing and returns true.
    @discardableResult
    public func enqueue(_ notification: AlertNotification) -> Bool {
        guard !urls.isEmpty else { return true }
        switch continuation.yield(notification) {
        case .enqueued:
            counters.update { $0.queued += 1 }
            return true
        case .dropped, .terminated:
            counters.update { $0.dropped += 1 }
            logger.warning("alert notification dropped", metadata: ["alert.rule": "\(notification.rule)"])
            return false
        @unknown default:
            return false
        }
    }

    /// Delivers queued notifications until graceful shutdown, then drains the queue without retries.
    public func run() async throws {
        await withGracefulShutdownHandler {
            for await notification in stream {
                counters.update { $0.queued -= 1 }
                await deliver(notification)
            }
        } onGracefulShutdown: { [continuation, stopping] in
            stopping.set()
            continuation.finish()
        }
    }

    /// Delivers one notification to every URL concurrently.
    func deliver(_ notification: AlertNotification) async {
        let body: Data
        do {
            body = try WebhookPayload(notification).encoded()
        } catch {
            counters.update { $0.failed += UInt64(urls.count) }
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for url in urls {
                group.addTask { await self.deliver(body, to: url, rule: notification.rule) }
            }
        }
    }

    private func deliver(_ body: Data, to url: URL, rule: String) async {
        var attempt = 1
        while true {
            let outcome = await post(body, to: url)
            let reason: String
            let permanent: Bool
            switch outcome {
            case .delivered:
                counters.update { $0.sent += 1 }
                return
            case .retryable(let why):
                (reason, permanent) = (why, false)
            case .permanent(let why):
                (reason, permanent) = (why, true)
            }
            if permanent || attempt >= retry.maxAttempts || stopping.isSet || Task.isCancelled {
                counters.update {
                    $0.failed += 1
                    $0.lastError = reason
                }
                logger.error(
                    "webhook delivery failed",
                    metadata: [
                        "webhook.url": "\(url.absoluteString)", "alert.rule": "\(rule)",
                        "webhook.attempts": "\(attempt)", "error.reason": "\(reason)",
                    ])
                return
            }
            counters.update {
                $0.retried += 1
                $0.lastError = reason
            }
            try? await Task.sleep(for: retry.delay(afterAttempt: attempt, fraction: Double.random(in: 0..<1)))
            attempt += 1
        }
    }

    enum Outcome {
        case delivered
        case retryable(String)
        case permanent(String)
    }

    private func post(_ body: Data, to url: URL) async -> Outcome {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .retryable("\(url) gave no HTTP answer") }
            switch http.statusCode {
            case 200..<300: return .delivered
            case 429, 500...: return .retryable("\(url.absoluteString) answered \(http.statusCode)")
            default: return .permanent("\(url.absoluteString) answered \(http.statusCode)")
            }
        } catch {
            return .retryable("\(url.absoluteString): \(error.localizedDescription)")
        }
    }
}

/// A flag set once, when graceful shutdown begins.
final class Stopping: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
