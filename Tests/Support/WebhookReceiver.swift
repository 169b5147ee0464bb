import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on 127.0.0.1 port 0 that records every POST to `/hook` and answers the first
/// `failures` of them with `failureStatus`, the rest with 200.
public final class WebhookReceiver: Sendable {
    public let failures: Int
    public let failureStatus: HTTPResponse.Status
    private let received = Mutex<[(at: ContinuousClock.Instant, body: Data)]>([])

    init(failures: Int, failureStatus: HTTPResponse.Status) {
        self.failures = failures
        self.failureStatus = failureStatus
    }

    /// Every POST so far (failed ones included), oldest first.
    public var attempts: [(at: ContinuousClock.Instant, body: Data)] { received.withLock { $0 } }

    /// Bodies of POSTs answered 200, decoded as JSON objects.
    public func delivered() throws -> [[String: Any]] {
        try attempts.dropFirst(failures).map { attempt in
            try JSONSerialization.jsonObject(with: attempt.body) as? [String: Any] ?? [:]
        }
    }

    /// Runs a receiver for the duration of `body`, passing it and its URL.
    public static func with<T: Sendable>(
        failures: Int = 0, failureStatus: HTTPResponse.Status = .internalServerError,
        _ body: @Sendable (WebhookReceiver, URL) async throws -> T
    ) async throws -> T {
        let receiver = WebhookReceiver(failures: failures, failureStatus: failureStatus)
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let count = receiver.received.withLock { list in
                list.append((ContinuousClock.now, Data(buffer.readableBytesView)))
                return list.count
            }
            return Response(status: count <= receiver.failures ? receiver.failureStatus : .ok)
        }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "vigil.test.webhook")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await whileRunning(group) {
            let deadline = ContinuousClock.now + .seconds(10)
            var bound: Int?
            while bound == nil, ContinuousClock.now < deadline {
                bound = port.withLock { $0 }
                if bound == nil { try await Task.sleep(for: .milliseconds(5)) }
            }
            guard let bound else { throw TestFailure("the webhook receiver did not bind within 10 s") }
            return try await body(receiver, URL(string: "http://127.0.0.1:\(bound)/hook")!)
        }
    }
}
