import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import VigilConfiguration
import VigilProtocol

/// The hub's agent listener (DESIGN §2, §8): TCP, TLS 1.3 with required client certificates,
/// length-prefixed frames, one ``AgentConnectionHandler`` per connection.
///
/// Invariants:
/// - Every connection's pipeline is TLS → frame decoder (at most `max_frame_bytes` per frame) →
///   connection handler; nothing reaches the store from a connection whose certificate did not
///   verify and whose `Hello` did not match it.
/// - At most `max_connections` connections are served; one more gets `Reject(OVERLOADED)`.
/// - Certificate files are checked every `tlsCheckInterval`; new connections use the newest context.
/// - On graceful shutdown: stop accepting, stop reading, wait (up to `drainGrace`) for the commit
///   queue to commit what connections submitted so their acks go out, then close every connection.
public final class AgentReceiver: Service, Sendable {
    /// The configured listen address (port 0 binds any free port).
    public let listen: HostPort
    /// The shared per-connection context.
    public let shared: ReceiverContext
    /// The TLS context source.
    public let tls: ServerTLS
    /// How often the certificate files are checked for changes.
    public let tlsCheckInterval: Duration
    /// How long shutdown waits for pending commits before closing connections.
    public let drainGrace: Duration
    private let group: any EventLoopGroup
    private let server = Mutex<(any Channel)?>(nil)
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Creates a receiver; it binds in ``bind()`` or when run.
    public init(
        listen: HostPort,
        shared: ReceiverContext,
        tls: ServerTLS,
        tlsCheckInterval: Duration = .seconds(5),
        drainGrace: Duration = .seconds(5),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.listen = listen
        self.shared = shared
        self.tls = tls
        self.tlsCheckInterval = tlsCheckInterval
        self.drainGrace = drainGrace
        self.group = group
    }

    /// The bound address, once bound.
    public var boundAddress: HostPort? {
        guard let address = server.withLock({ $0?.localAddress }), let port = address.port else { return nil }
        return HostPort(host: address.ipAddress ?? listen.host, port: port)
    }

    /// Binds the listening socket. Separate from `run` so the caller can report the port before serving.
    @discardableResult
    public func bind() async throws -> HostPort {
        if let bound = boundAddress { return bound }
        let shared = self.shared
        let tls = self.tls
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                let open = shared.counters.connectionOpened()
                channel.closeFuture.whenComplete { _ in shared.counters.connectionClosed() }
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: tls.context))
                    try sync.addHandler(
                        ByteToMessageHandler(
                            LengthPrefixedMessageDecoder<Vigil_V1_Frame>(
                                maxFrameBytes: shared.settings.maxFrameBytes, maxHelloBytes: WireProtocol.maxHelloBytes)
                        ))
                    try sync.addHandler(
                        AgentConnectionHandler(shared: shared, overloaded: open > shared.maxConnections))
                }
            }
            .bind(host: listen.host, port: listen.port)
            .get()
        server.withLock { $0 = channel }
        let bound = boundAddress ?? listen
        shared.logger.info("receiver listening", metadata: ["listen.address": "\(bound)"])
        return bound
    }

    /// Serves until graceful shutdown, binding first if needed.
    public func run() async throws {
        try await bind()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { [tlsCheckInterval] in try await Task.sleep(for: tlsCheckInterval) }
            reloadCertificates()
        }
        await stop()
    }

    /// Looks at the certificate files once; a changed set is loaded for new connections.
    public func reloadCertificates() {
        do {
            if try tls.reloadIfChanged() {
                shared.logger.info("TLS files changed on disk; new connections use them")
            }
        } catch {
            shared.logger.error(
                "TLS files changed but do not load; keeping the previous ones", metadata: ["error": "\(error)"])
        }
    }

    private func stop() async {
        shared.startDraining()
        let listener = server.withLock { $0 }
        try? await listener?.close()
        let deadline = ContinuousClock.now + drainGrace
        while ContinuousClock.now < deadline, shared.committer.hasQueuedWork {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Let the acks of the last commits reach the event loops and the sockets.
        try? await Task.sleep(for: .milliseconds(50))
        for child in children.withLock({ Array($0.values) }) {
            try? await child.close()
        }
        shared.logger.info("receiver stopped")
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        children.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.children.withLock { $0.removeValue(forKey: id) }
        }
    }
}
