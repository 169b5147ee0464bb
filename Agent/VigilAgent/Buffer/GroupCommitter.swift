import Logging
import ServiceLifecycle
import Synchronization

/// Collects record submissions from every ingest connection and stores them together, one transaction
/// per round, so the cost of a commit is shared by every client that was waiting.
///
/// Each submission's completion runs after its transaction committed (or failed), never before: that
/// is what makes an ingest acknowledgement mean "on disk". On graceful shutdown the committer stops
/// taking new submissions, commits everything already queued, then returns.
public final class GroupCommitter: Service, Sendable {
    /// Called with the fate of one submission.
    public typealias Completion = @Sendable (Result<AppendOutcome, BufferError>) -> Void

    struct Submission: Sendable {
        var records: [[UInt8]]
        var completion: Completion
    }

    struct Queue: Sendable {
        var pending: [Submission] = []
        var closed = false
        var committing = 0
    }

    /// The buffer written to.
    public let buffer: RecordBuffer
    /// Upper bound on records per transaction; a longer queue is committed over several rounds.
    public let maxRecordsPerCommit: Int
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let logger: Logger
    private let onCommit: @Sendable () -> Void

    /// Creates a committer for `buffer`; `onCommit` runs after every successful commit (to wake the
    /// shipper).
    public init(
        buffer: RecordBuffer,
        maxRecordsPerCommit: Int = 20_000,
        logger: Logger = Logger(label: "vigil.agent.buffer"),
        onCommit: @escaping @Sendable () -> Void = {}
    ) {
        self.buffer = buffer
        self.maxRecordsPerCommit = maxRecordsPerCommit
        self.logger = logger
        self.onCommit = onCommit
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether submissions are queued or being committed.
    public var hasQueuedWork: Bool { queue.withLock { !$0.pending.isEmpty || $0.committing > 0 } }

    /// Queues records for the next commit. Returns at once; `completion` runs after the commit.
    public func submit(_ records: [[UInt8]], completion: @escaping Completion) {
        let queued = queue.withLock { q in
            guard !q.closed else { return false }
            q.pending.append(Submission(records: records, completion: completion))
            return true
        }
        if queued {
            wake.yield()
        } else {
            completion(.failure(BufferError(code: .write, message: "the agent is shutting down; nothing was stored")))
        }
    }

    /// Commits queued submissions until graceful shutdown, then commits what is left.
    public func run() async {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await commitQueued()
            }
        } onGracefulShutdown: {
            self.close()
        }
        close()
        await commitQueued()
    }

    private func close() {
        queue.withLock { $0.closed = true }
        wake.finish()
    }

    private func commitQueued() async {
        while true {
            let round: [Submission] = queue.withLock { q in
                var taken = 0
                var count = 0
                for submission in q.pending {
                    if count > 0 && count + submission.records.count > maxRecordsPerCommit { break }
                    count += submission.records.count
                    taken += 1
                }
                let round = Array(q.pending.prefix(taken))
                q.pending.removeFirst(taken)
                q.committing += round.count
                return round
            }
            if round.isEmpty { return }
            switch await buffer.append(round.map(\.records)) {
            case .success(let outcomes):
                for (submission, outcome) in zip(round, outcomes) { submission.completion(.success(outcome)) }
                onCommit()
            case .failure(let error):
                let refused = round.reduce(0) { $0 + $1.records.count }
                logger.error(
                    "buffer write failed; records refused to clients",
                    metadata: ["buffer.error": "\(error)", "records": "\(refused)"]
                )
                for submission in round { submission.completion(.failure(error)) }
            }
            queue.withLock { $0.committing -= round.count }
        }
    }
}
