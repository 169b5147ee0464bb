import Logging
import ServiceLifecycle
import Synchronization
import VigilAnalytics

// RollupService: the catch-up job that keeps the minute rollups (issue #5 part 7) up to date, and deletes
// rollups older than `retention.rollups`. While the watermarks are caught up, the hub's commits fold what
// they store themselves (CommitRollup) and a pass finds nothing; the job rolls up after an upgrade or
// whenever the commits left the rollups to it.
//
// Invariants:
// - A pass rolls up chunks of at most `chunkSize` events and `chunkSize` samples, each chunk in one short
//   write transaction with its watermark (see RollupStore), until a chunk comes back short (caught up).
//   A restart resumes from the stored watermark; nothing is counted twice or skipped.
// - Several callers may run passes at once (the loop and the evaluation's catch-up): the watermark
//   compare-and-set makes the loser of a race write nothing.
// - Retention deletes at most `retentionBatch` rows per transaction, pausing between transactions.
// - Counts of rolled-up events, samples, refused values and deleted rows are kept for status.

/// Rolls raw records up into minute rollups and expires old rollups.
public final class RollupService: Service, Sendable {
    /// Records per chunk (per raw table).
    public let chunkSize: Int
    /// Time between passes.
    public let interval: Duration
    /// How long rollups are kept.
    public let keep: Duration
    /// Rows deleted per retention transaction.
    public let retentionBatch: Int
    private let store: any RollupStore
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private let totals = Mutex(Totals())

    /// Counters since start.
    public struct Totals: Sendable, Hashable {
        /// Events rolled up.
        public var events: UInt64 = 0
        /// Samples rolled up.
        public var samples: UInt64 = 0
        /// Values refused by the sketch or as non-finite (their records still count).
        public var refused: UInt64 = 0
        /// Rollup rows deleted by retention.
        public var deleted: UInt64 = 0
        /// Passes that failed (retried at the next interval).
        public var failures: UInt64 = 0
    }

    /// Creates the service; `now` gives Unix time in nanoseconds.
    public init(
        store: any RollupStore, keep: Duration, chunkSize: Int = 20_000, interval: Duration = .seconds(5),
        retentionBatch: Int = 5000, now: @escaping @Sendable () -> Int64,
        logger: Logger = Logger(label: "vigil.hub.rollups")
    ) {
        self.store = store
        self.keep = keep
        self.chunkSize = chunkSize
        self.interval = interval
        self.retentionBatch = retentionBatch
        self.now = now
        self.logger = logger
    }

    /// Counters since start.
    public var counters: Totals { totals.withLock { $0 } }

    /// Runs passes until graceful shutdown; retention runs about once a minute.
    public func run() async throws {
        var lastRetention: Int64?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await catchUp()
            let at = now()
            if lastRetention.map({ at - $0 >= 60_000_000_000 }) ?? true {
                lastRetention = at
                await expire()
            }
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    /// Rolls up everything stored so far, chunk by chunk; returns the total progress.
    @discardableResult
    public func catchUp() async -> RollupProgress {
        var total = RollupProgress()
        while !Task.isCancelled {
            do {
                let step = try await store.rollUp(limit: chunkSize)
                total.events += step.events
                total.samples += step.samples
                total.rowsWritten += step.rowsWritten
                total.refused += step.refused
                totals.withLock {
                    $0.events += UInt64(step.events)
                    $0.samples += UInt64(step.samples)
                    $0.refused += UInt64(step.refused)
                }
                if step.lostRace {
                    // Another pass wrote this chunk; read again from its watermark.
                    await Task.yield()
                    continue
                }
                if step.events < chunkSize && step.samples < chunkSize { break }
                await Task.yield()
            } catch {
                totals.withLock { $0.failures += 1 }
                logger.warning("rollup pass stopped; will retry", metadata: ["error": "\(error)"])
                break
            }
        }
        return total
    }

    /// Deletes rollups older than `keep`, a batch at a time; returns how many.
    @discardableResult
    public func expire() async -> Int {
        let cutoff = MinuteRollup.minute(of: now() - keep.totalNanoseconds)
        var deleted = 0
        while !Task.isCancelled {
            do {
                let count = try await store.deleteRollups(beforeMinute: cutoff, limit: retentionBatch)
                deleted += count
                totals.withLock { $0.deleted += UInt64(count) }
                if count < retentionBatch { break }
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                totals.withLock { $0.failures += 1 }
                logger.warning("rollup retention stopped; will retry", metadata: ["error": "\(error)"])
                break
            }
        }
        if deleted > 0 { logger.info("deleted expired rollups", metadata: ["rollups.deleted": "\(deleted)"]) }
        return deleted
    }
}
