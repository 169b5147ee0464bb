import Foundation
import Logging
import NIOCore
import Synchronization

/// What every agent connection shares: the settings it is checked against, the commit queue it
/// feeds, the counters it updates, and whether the receiver is draining for shutdown.
public final class ReceiverContext: Sendable {
    /// Protocol settings for each connection.
    public let settings: ConnectionStateMachine.Settings
    /// Most connections served at once.
    public let maxConnections: Int
    /// The commit queue.
    public let committer: BatchCommitter
    /// Counters shown in status and metrics.
    public let counters: ReceiverCounters
    /// How long a connection may take from accept to `Welcome`.
    public let helloTimeout: TimeAmount
    /// How often a connection paused by a full commit queue looks again.
    public let backpressureRecheck: TimeAmount
    /// The authorization policy in force (replaced when hub.yaml is reloaded).
    public let authorization: AuthorizationState
    /// Where refused records are logged, once per agent and minute.
    public let refusalLog: RefusalLog
    let logger: Logger
    private let draining = Atomic<Bool>(false)

    /// Creates the shared context.
    public init(
        settings: ConnectionStateMachine.Settings,
        maxConnections: Int,
        committer: BatchCommitter,
        counters: ReceiverCounters = ReceiverCounters(),
        helloTimeout: TimeAmount = .seconds(10),
        backpressureRecheck: TimeAmount = .milliseconds(10),
        authorization: AuthorizationState = AuthorizationState(nil),
        logger: Logger = Logger(label: "vigil.hub.receiver")
    ) {
        self.authorization = authorization
        self.refusalLog = RefusalLog(logger: logger) { Int64(Date().timeIntervalSince1970 * 1e9) }
        self.settings = settings
        self.maxConnections = maxConnections
        self.committer = committer
        self.counters = counters
        self.helloTimeout = helloTimeout
        self.backpressureRecheck = backpressureRecheck
        self.logger = logger
    }

    /// True once shutdown began: connections stop reading and only deliver acks still due.
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func startDraining() {
        draining.store(true, ordering: .relaxed)
    }
}
