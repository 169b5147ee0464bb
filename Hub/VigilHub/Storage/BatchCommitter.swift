import Logging
import ServiceLifecycle
import Synchronization

/// The hub's single write queue: every connection's `Hello`, `Batch` and disconnect goes through it,
/// in arrival order, and consecutive batches (from all connections) are stored in one transaction.
///
/// Invariants:
/// - **Completion after commit.** A batch's completion runs after its transaction committed (with
///   the seq to ack) or failed (nothing of it stored), never before; the receiver acks only from it.
/// - **Order.** Work is done in submission order, so one connection's acks come in its batch order,
///   and an agent's hello and disconnect are applied in the order they happened.
/// - **Bounded.** ``isAboveBound`` turns true when more than `maxQueuedRecords` records wait; the
///   receiver then stops reading from sockets until it drains, rather than queueing without limit.
/// - **Drained on shutdown.** On graceful shutdown the queue stops taking work, finishes everything
///   already queued, then returns.
public final class BatchCommitter: Service, Sendable {
    /// Called with the fate of one batch.
    public typealias BatchCompletion = @Sendable (Result<BatchOutcome, StoreError>) -> Void
    /// Called with a stream's high-water mark after a `Hello` was recorded.
    public typealias HelloCompletion = @Sendable (Result<UInt64, StoreError>) -> Void

    enum Work: Sendable {
        case hello(AgentHello, HelloCompletion)
        case disconnect(String)
        case batch(IncomingBatch, BatchCompletion)

        var records: Int {
            if case .batch(let batch, _) = self { return batch.records.count }
            return 0
        }
    }

    struct Queue: Sendable {
        var pending: [Work] = []
        var queuedRecords = 0
        var closed = false
        var busy = false
        var meter = RateMeter()
        var counters = CommitCounters()
        var lastFailure: CommitFailure?
    }

    /// The most recent failed write (a commit, a hello or a disconnect), kept until a commit succeeds.
    public struct CommitFailure: Sendable {
        /// When the write failed (Unix ns).
        public var atUnixNano: Int64
        /// Why it failed.
        public var error: StoreError
    }

    /// The store written to.
    public let store: any EventStore
    /// Most records in one transaction; a longer queue commits over several.
    public let maxRecordsPerCommit: Int
    /// Queued records above which ``isAboveBound`` is true.
    public let maxQueuedRecords: Int
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let now: @Sendable () -> Int64
    private let logger: Logger

    /// Creates a committer over `store`; `now` gives Unix time in nanoseconds.
    public init(
        store: any EventStore,
        maxRecordsPerCommit: Int = 50_000,
        maxQueuedRecords: Int = 200_000,
        now: @escaping @Sendable () -> Int64,
        logger: Logger = Logger(label: "vigil.hub.store")
    ) {
        self.store = store
        self.maxRecordsPerCommit = maxRecordsPerCommit
        self.maxQueuedRecords = maxQueuedRecords
        self.now = now
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether more records wait than the bound allows.
    public var isAboveBound: Bool { queue.withLock { $0.queuedRecords > maxQueuedRecords } }
    /// Whether work is queued or in progress.
    public var hasQueuedWork: Bool { queue.withLock { !$0.pending.isEmpty || $0.busy } }
    /// Records waiting to be committed.
    public var queuedRecords: Int { queue.withLock { $0.queuedRecords } }
    /// The last write's failure when no commit has succeeded since; `nil` otherwise.
    public var lastFailure: CommitFailure? { queue.withLock { $0.lastFailure } }

    /// Counters since start, and records stored per second over the last 10 s as of `nowUnixNano`.
    public func counters(atUnixNano nowUnixNano: Int64) -> (CommitCounters, Double) {
        queue.withLock { ($0.counters, $0.meter.perSecond(atSecond: nowUnixNano / 1_000_000_000)) }
    }

    /// Queues a batch; `completion` runs after its commit.
    public func submit(_ batch: IncomingBatch, completion: @escaping BatchCompletion) {
        enqueue(.batch(batch, completion)) { completion(.failure($0)) }
    }

    /// Queues a `Hello`; `completion` gets the stream's high-water mark.
    public func open(_ hello: AgentHello, completion: @escaping HelloCompletion) {
        enqueue(.hello(hello, completion)) { completion(.failure($0)) }
    }

    /// Queues "the agent's last connection closed".
    public func disconnected(agentID: String) {
        enqueue(.disconnect(agentID)) { _ in }
    }

    private func enqueue(_ work: Work, refused: (StoreError) -> Void) {
        let queued = queue.withLock { q in
            guard !q.closed else { return false }
            q.pending.append(work)
            q.queuedRecords += work.records
            return true
        }
        if queued {
            wake.yield()
        } else {
            refused(StoreError(code: .closed, message: "the hub is shutting down; nothing was stored"))
        }
    }

    /// Commits queued work until graceful shutdown, then commits what is left.
    public func run() async {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
            }
        } onGracefulShutdown: {
            self.close()
        }
        close()
        await drain()
    }

    private func close() {
        queue.withLock { $0.closed = true }
        wake.finish()
    }

    private func drain() async {
        while let round = takeRound() {
            await perform(round)
            queue.withLock { $0.busy = false }
        }
    }

    /// The next piece of work: one hello or disconnect alone, or a run of consecutive batches.
    private func takeRound() -> [Work]? {
        queue.withLock { q -> [Work]? in
            guard let first = q.pending.first else { return nil }
            var taken = 1
            if case .batch = first {
                var records = first.records
                while taken < q.pending.count, case .batch = q.pending[taken],
                    records + q.pending[taken].records <= maxRecordsPerCommit
                {
                    records += q.pending[taken].records
                    taken += 1
                }
            }
            let round = Array(q.pending.prefix(taken))
            q.pending.removeFirst(taken)
            q.queuedRecords -= round.reduce(0) { $0 + $1.records }
            q.busy = true
            return round
        }
    }

    private func perform(_ round: [Work]) async {
        switch round[0] {
        case .hello(let hello, let completion):
            do {
                completion(.success(try await store.openStream(hello, at: now())))
            } catch {
                noteWrite(failure: CommitFailure(atUnixNano: now(), error: error))
                logger.error(
                    "cannot record an agent's hello", metadata: ["agent.id": "\(hello.agentID)", "error": "\(error)"])
                completion(.failure(error))
            }
        case .disconnect(let agentID):
            do {
                try await store.markDisconnected(agentID: agentID, at: now())
            } catch {
                noteWrite(failure: CommitFailure(atUnixNano: now(), error: error))
                logger.warning(
                    "cannot mark an agent disconnected", metadata: ["agent.id": "\(agentID)", "error": "\(error)"])
            }
        case .batch:
            await commit(round)
        }
    }

    /// A hello's or a disconnect's failed write: a store that refuses them cannot take batches either. Their
    /// successes do not clear a batch commit's failure: a one-row write can fit where a batch does not (a
    /// nearly full disk).
    private func noteWrite(failure: CommitFailure) {
        queue.withLock { $0.lastFailure = failure }
    }

    private func commit(_ round: [Work]) async {
        var batches: [IncomingBatch] = []
        var completions: [BatchCompletion] = []
        for case .batch(let batch, let completion) in round {
            batches.append(batch)
            completions.append(completion)
        }
        let at = now()
        do {
            let outcomes = try await store.commit(batches, at: at)
            queue.withLock { q in
                for outcome in outcomes {
                    q.counters.add(outcome)
                    q.meter.add(UInt64(outcome.stored), atSecond: at / 1_000_000_000)
                }
                q.counters.commits += 1
                q.lastFailure = nil
            }
            for (completion, outcome) in zip(completions, outcomes) { completion(.success(outcome)) }
        } catch {
            let refused = batches.reduce(0) { $0 + $1.records.count }
            queue.withLock { q in
                q.counters.commitFailures += 1
                // When it failed, not when it began: a commit can fail after the store's whole timeout.
                q.lastFailure = CommitFailure(atUnixNano: now(), error: error)
            }
            logger.error(
                "store write failed; batches not acknowledged (agents will send them again)",
                metadata: ["store.error": "\(error)", "batches": "\(batches.count)", "records": "\(refused)"])
            for completion in completions { completion(.failure(error)) }
        }
    }
}
