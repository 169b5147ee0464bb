import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The local ingest socket (DESIGN §3): a Unix stream socket created with the configured mode, one
/// reader per connection, records handed to the group committer.
///
/// On graceful shutdown it stops accepting, lets open connections finish the commits they are
/// waiting for (bounded by `closeGrace`), then closes them — so everything a client was told is
/// durable was committed, and nothing is accepted after the buffer stops.
public final class IngestListener: Service, Sendable {
    /// Path of the socket file.
    public let socketPath: String
    /// File mode of the socket, e.g. `0o660`.
    public let mode: mode_t
    private let shared: IngestContext
    private let group: any EventLoopGroup
    private let closeGrace: Duration
    private let children = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let bound = Mutex<(any Channel)?>(nil)

    /// Creates a listener; it binds when run.
    public init(
        socketPath: String,
        mode: mode_t = 0o660,
        context: IngestContext,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        closeGrace: Duration = .seconds(2)
    ) {
        self.socketPath = socketPath
        self.mode = mode
        self.shared = context
        self.group = group
        self.closeGrace = closeGrace
    }

    /// Binds the socket and sets its mode. Separate from `run` so callers (and tests) know when clients
    /// may connect.
    public func bind() async throws {
        let directory = (socketPath as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let shared = self.shared
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return Self.peerCredentials(of: channel).flatMap { peer in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(IngestSniffer(context: shared, peer: peer))
                    }
                }
            }
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true)
            .get()
        guard chmod(socketPath, mode) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await channel.close()
            throw IngestError(message: "cannot set mode \(String(mode, radix: 8)) on \(socketPath): \(reason)")
        }
        bound.withLock { $0 = channel }
        shared.logger.info("ingest socket listening", metadata: ["ingest.socket": "\(socketPath)"])
    }

    /// Serves until graceful shutdown, binding first if `bind()` was not called.
    public func run() async throws {
        if bound.withLock({ $0 }) == nil { try await bind() }
        try? await gracefulShutdown()
        let server = bound.withLock { $0 }
        try? await server?.close()
        // Give connections time to receive the acks of commits already submitted.
        let deadline = ContinuousClock.now + closeGrace
        while ContinuousClock.now < deadline, shared.committerHasWork {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for child in children.withLock({ Array($0.values) }) {
            try? await child.close()
        }
        unlink(socketPath)
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        children.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.children.withLock { $0.removeValue(forKey: id) }
        }
    }

    private static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        #if canImport(Glibc)
            let future: EventLoopFuture<LinuxUcred> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(SO_PEERCRED)
            )
            return future.map { Optional(PeerCredentials(uid: $0.uid, pid: $0.pid)) }.recover { _ -> PeerCredentials? in
                nil
            }
        #else
            return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Glibc's Swift import hides behind `_GNU_SOURCE`.
struct LinuxUcred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The ingest socket could not be set up.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String
    public var description: String { message }
}

extension IngestContext {
    var committerHasWork: Bool { committer.hasQueuedWork }
}
