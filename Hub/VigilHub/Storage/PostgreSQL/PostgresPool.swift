import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

// PostgresPool: the store's connection pool, where every statement has a deadline.
//
// postgres-nio waits for the server as long as the socket is open: a query on a connection whose server
// vanished without closing it (a cut link, a frozen host) waits until the kernel gives up on TCP, which can
// take a quarter of an hour. The hub's commits run one after another (BatchCommitter), so one such wait would
// stop the replica acknowledging anything even after PostgreSQL is reachable again.
//
// Invariants:
// - **Every call returns within the timeout.** The caller gets ``PostgresPool/Timeout`` when the work has not
//   finished in time; it does not wait for the work to notice (postgres-nio does not stop a running query on
//   task cancellation).
// - **A late answer replaces the pool.** The connection the timed-out work holds is closed at once, so its
//   query fails and its lease returns. The pool's other connections went quiet the same way, most likely, and
//   an idle one is only found dead when a call waits the whole deadline on it; so the first timeout of a pool
//   replaces it with a fresh one (its connections closed, calls on them failed), and the next call connects
//   anew. If the timed-out work did commit after all, nothing was acknowledged for it and the agent's resend
//   is recognised as a duplicate.
// - Rows are read completely inside the call (``Rows``), so no lease outlives it.

/// The PostgreSQL connection pool with a deadline on every call.
final class PostgresPool: Sendable {
    /// No answer within the deadline.
    struct Timeout: Error, CustomStringConvertible {
        var location: String
        var seconds: Int64
        var description: String { "no answer from \(location) within \(seconds) s" }
    }

    /// The server could not be reached (refused, unresolvable, TLS or login failure while connecting).
    struct Unreachable: Error, CustomStringConvertible {
        var location: String
        var reason: String
        var description: String { "cannot connect to \(location): \(reason)" }
    }

    /// The rows a query returned, read to the end.
    struct Rows: Sendable {
        var rows: [PostgresRow]

        /// Every row decoded as `columns`.
        func decode<each Column: PostgresDecodable>(
            _ columns: (repeat each Column).Type
        ) throws -> [(
            repeat each Column
        )] {
            try rows.map { try $0.decode(columns) }
        }

        /// The first row decoded as `column`, or `nil` when there is none.
        func first<Column: PostgresDecodable>(_ column: Column.Type) throws -> Column? {
            try rows.first?.decode(column)
        }
    }

    /// The server, without credentials, for errors.
    let location: String
    let timeout: Duration
    let logger: Logger
    private let configuration: PostgresClient.Configuration
    private let current: Mutex<Generation>

    /// One PostgresClient and the task running it.
    private struct Generation {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var number: Int
        var closed = false
    }

    /// Starts a pool of `configuration` (not connecting yet).
    init(configuration: PostgresClient.Configuration, location: String, timeout: Duration, logger: Logger) {
        self.configuration = configuration
        self.location = location
        self.timeout = timeout
        self.logger = logger
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        current = Mutex(Generation(client: client, runner: Task { await client.run() }, number: 1))
    }

    deinit {
        current.withLock { $0.runner.cancel() }
    }

    /// The client in use now.
    var client: PostgresClient { current.withLock { $0.client } }

    /// Closes every connection; calls after this fail.
    func close() {
        current.withLock { generation in
            generation.closed = true
            generation.runner.cancel()
        }
    }

    /// Replaces generation `number` with a fresh pool (once: a later timeout of the same one does nothing).
    private func replace(_ number: Int) {
        let replaced = current.withLock { generation -> Bool in
            guard generation.number == number, !generation.closed else { return false }
            generation.runner.cancel()
            let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
            generation = Generation(client: client, runner: Task { await client.run() }, number: number + 1)
            return true
        }
        if replaced {
            logger.warning(
                "PostgreSQL did not answer in time; its connections are replaced",
                metadata: ["store": "\(location)", "timeout": "\(timeout)"])
        }
    }

    /// Runs `body` on a pooled connection within the deadline.
    func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    )
        async throws -> T
    {
        do {
            return try await attempt(body)
        } catch let failure as Attempt {
            // The pool it leased from was replaced before the work began: the work never ran, so it runs once on
            // the new pool instead of failing a call that a fresh connection can answer.
            let replaced = current.withLock { !$0.closed && $0.number != failure.generation }
            guard replaced, !failure.started, !(failure.error is Timeout) else { throw failure.error }
            do {
                return try await attempt(body)
            } catch let failure as Attempt {
                throw failure.error
            }
        }
    }

    /// Why one attempt failed, and whether its work had begun.
    private struct Attempt: Error {
        var error: any Error
        var started: Bool
        var generation: Int
    }

    private func attempt<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let holder = Holder()
        let (client, number) = current.withLock { ($0.client, $0.number) }
        let location = location
        do {
            return try await race(client: client, number: number, holder: holder, location: location, body)
        } catch {
            throw Attempt(error: error, started: holder.started, generation: number)
        }
    }

    private func race<T: Sendable>(
        client: PostgresClient, number: Int, holder: Holder, location: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await Self.race(within: timeout, location: location) {
            do {
                return try await client.withConnection { connection in
                    holder.hold(connection)
                    defer { holder.release() }
                    return try await body(connection)
                }
            } catch let error as PSQLError where error.code == .connectionError {
                throw Unreachable(location: location, reason: error.underlying.map { "\($0)" } ?? "unknown")
            }
        } onTimeout: { [self] in
            // The work is stuck on a connection: closing it makes the query fail and frees the lease.
            holder.closeHeld()
            replace(number)
        }
    }

    /// Runs `body` in a transaction (`BEGIN` … `COMMIT`, `ROLLBACK` when it throws) within the deadline.
    func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    )
        async throws -> T
    {
        let logger = logger
        return try await withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// Runs one statement and reads all its rows within the deadline.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> Rows {
        let logger = logger
        return try await withConnection { connection in
            Rows(rows: try await connection.query(query, logger: logger).collect())
        }
    }

    /// The result of `work`, or ``Timeout`` after `limit`: then `onTimeout` runs and `work` is cancelled, but
    /// not waited for. The work resumes the caller itself and the timer is an event-loop timer, so a call costs
    /// one task, not a hop through the (possibly busy) cooperative pool per side.
    static func race<T: Sendable>(
        within limit: Duration, location: String, _ work: @escaping @Sendable () async throws -> T,
        onTimeout: @escaping @Sendable () -> Void
    ) async throws -> T {
        let outcome = Once<Result<T, any Error>?>()
        let task = Mutex<Task<Void, Never>?>(nil)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>?, Never>) in
                outcome.set(continuation)
                let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(
                    in: .nanoseconds(limit.totalNanoseconds)
                ) { outcome.resume(nil) }
                task.withLock {
                    $0 = Task {
                        let result: Result<T, any Error>
                        do { result = .success(try await work()) } catch { result = .failure(error) }
                        timer.cancel()
                        outcome.resume(result)
                    }
                }
            }
        } onCancel: {
            task.withLock { $0 }?.cancel()
        }
        guard let result else {
            onTimeout()
            task.withLock { $0 }?.cancel()
            throw Timeout(location: location, seconds: limit.components.seconds)
        }
        return try result.get()
    }

    /// The connection a piece of work holds, so a timeout can close it.
    private final class Holder: Sendable {
        private let state = Mutex<(connection: PostgresConnection?, timedOut: Bool, started: Bool)>((nil, false, false))

        /// Whether the work got a connection (and so may have sent something).
        var started: Bool { state.withLock { $0.started } }

        func hold(_ connection: PostgresConnection) {
            let late = state.withLock { state in
                state.connection = connection
                state.started = true
                return state.timedOut
            }
            // Leased only after the deadline passed: nobody waits for this work any more.
            if late { _ = connection.close() as EventLoopFuture<Void> }
        }

        func release() {
            state.withLock { $0.connection = nil }
        }

        func closeHeld() {
            let held = state.withLock { state in
                state.timedOut = true
                return state.connection
            }
            _ = held?.close() as EventLoopFuture<Void>?
        }
    }

    /// A continuation resumed once, by whichever of two tasks comes first (both start after ``set(_:)``).
    private final class Once<Value: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<Value, Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume(_ value: Value) {
            continuation.withLock { $0.take() }?.resume(returning: value)
        }
    }
}
