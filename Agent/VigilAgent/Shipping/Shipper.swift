import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import VigilProtocol

/// Ships the buffer to a hub over mutual TLS (DESIGN §2): `Hello` → `Welcome(resume_after_seq)` →
/// delete through that seq → pipelined `Batch`es built from stored bytes → delete on `Ack`.
///
/// One connection at a time, to the first endpoint that answers; any failure closes it, waits with
/// full-jitter backoff, and tries the next endpoint. The backoff starts over only once a hub acknowledged a
/// batch: a hub that welcomes the agent and then refuses what it sends is a failure like any other. Protocol decisions live in
/// ``ShipperStateMachine``; this type only carries them out. On graceful shutdown it keeps shipping
/// until the buffer is empty or `drainTimeout` passes.
public final class Shipper: Service, Sendable {
    let options: ShipperOptions
    let buffer: RecordBuffer
    let tls: ClientTLS
    let group: any EventLoopGroup
    let logger: Logger
    /// Counters for status and metrics.
    public let stats: ShipperStats
    /// Woken when records are committed or acks free the window.
    let wake = Signal()

    /// Creates a shipper.
    public init(
        options: ShipperOptions,
        buffer: RecordBuffer,
        tls: ClientTLS,
        stats: ShipperStats = ShipperStats(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "vigil.agent.shipper")
    ) {
        self.options = options
        self.buffer = buffer
        self.tls = tls
        self.stats = stats
        self.group = group
        self.logger = logger
    }

    /// Tells the shipper new records were committed (wakes an idle sender).
    public func recordsCommitted() { wake.notify() }

    /// Ships until graceful shutdown, then drains for at most `drainTimeout`.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.connectLoop() }
            group.addTask {
                // Wait for the stop signal (or cancellation), then allow a bounded drain.
                try? await gracefulShutdown()
                self.wake.notify()
                let deadline = ContinuousClock.now + self.options.drainTimeout
                while ContinuousClock.now < deadline, self.buffer.stats.records > 0, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                let left = self.buffer.stats.records
                if left > 0 {
                    self.logger.info(
                        "stopping with records still buffered; they ship after restart",
                        metadata: ["buffer.records": "\(left)"])
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func connectLoop() async {
        var backoff = Backoff(base: options.backoffBase, cap: options.backoffCap)
        var random = SystemRandomNumberGenerator()
        var index = 0
        while !Task.isCancelled {
            let endpoint = options.endpoints[index % options.endpoints.count]
            do {
                try await session(endpoint, onAck: { backoff.reset() })
            } catch is CancellationError {
                return
            } catch {
                stats.update {
                    $0.connectionFailures += 1
                    $0.lastError = "\(endpoint): \(error)"
                    $0.connectedEndpoint = nil
                }
                logger.info("hub connection ended", metadata: ["hub.endpoint": "\(endpoint)", "error": "\(error)"])
            }
            stats.update { $0.connectedEndpoint = nil }
            index += 1
            let delay = backoff.nextDelay(using: &random)
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }
}

/// Why a hub session ended.
public struct ShipperError: Error, CustomStringConvertible, Sendable {
    /// What happened.
    public var message: String
    public var description: String { message }
}
