import Logging
import ServiceLifecycle
import Synchronization

/// Deletes raw events and samples older than `retention.raw` (DESIGN §5), in small transactions
/// with a pause between them, so ingest never waits long for the writer.
///
/// Invariants: each transaction deletes at most `batchSize` rows; a pass runs every `interval` and
/// stops at the first short transaction (nothing older is left) or on shutdown. Deleted rows are
/// counted; the store's cumulative totals are history and do not shrink. Each pass first has the store
/// prepare ahead (the PostgreSQL store's coming partitions). With several replicas on one store, `leads`
/// says whether this one is the leader: only the leader's passes run.
public final class RetentionService: Service, Sendable {
    /// How long raw records are kept.
    public let keep: Duration
    /// Rows deleted per transaction.
    public let batchSize: Int
    /// Time between passes.
    public let interval: Duration
    /// Pause between two delete transactions of one pass.
    public let pause: Duration
    private let store: any EventStore
    private let now: @Sendable () -> Int64
    private let leads: (@Sendable () -> Bool)?
    private let logger: Logger
    private let deletedTotal = Mutex<UInt64>(0)

    /// Creates the service; `now` gives Unix time in nanoseconds.
    public init(
        store: any EventStore,
        keep: Duration,
        batchSize: Int = 5000,
        interval: Duration = .seconds(60),
        pause: Duration = .milliseconds(50),
        now: @escaping @Sendable () -> Int64,
        leads: (@Sendable () -> Bool)? = nil,
        logger: Logger = Logger(label: "vigil.hub.retention")
    ) {
        self.leads = leads
        self.store = store
        self.keep = keep
        self.batchSize = batchSize
        self.interval = interval
        self.pause = pause
        self.now = now
        self.logger = logger
    }

    /// Rows deleted since start.
    public var deleted: UInt64 { deletedTotal.withLock { $0 } }

    /// Runs passes until graceful shutdown.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await runPass()
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    /// Prepares ahead, then deletes everything older than the cutoff, one small transaction at a time; returns
    /// the count. A replica that does not lead does nothing.
    @discardableResult
    public func runPass() async -> Int {
        if let leads, !leads() { return 0 }
        let at = now()
        do {
            try await store.prepareAhead(at: at)
        } catch {
            logger.warning("cannot prepare the store ahead; will retry", metadata: ["error": "\(error)"])
        }
        let cutoff = at - keep.totalNanoseconds
        var deleted = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let count = try await store.deleteRaw(olderThan: cutoff, limit: batchSize)
                deleted += count
                deletedTotal.withLock { $0 += UInt64(count) }
                if count < batchSize { break }
                try? await Task.sleep(for: pause)
            } catch {
                logger.warning("retention pass stopped; will retry", metadata: ["error": "\(error)"])
                break
            }
        }
        if deleted > 0 {
            logger.info("deleted expired records", metadata: ["retention.deleted": "\(deleted)"])
        }
        return deleted
    }
}
