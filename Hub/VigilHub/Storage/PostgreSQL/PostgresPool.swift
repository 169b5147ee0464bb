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
// - **A late connection is closed.** The connection the timed-out work holds is closed at once, so its query
//   fails, its lease returns to the pool and the pool opens a fresh one. If the work did commit after all,
//   nothing was acknowledged for it and the agent's resend is recognised as a duplicate.
// - Rows are read completely inside the call (``Rows``), so no lease outlives it.

/// The PostgreSQL connection pool with a deadline on every call.
struct PostgresPool: Sendable {
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

    let client: PostgresClient
    /// The server, without credentials, for errors.
    let location: String
    let timeout: Duration
    let logger: Logger

    /// Runs `body` on a pooled connection within the deadline.
    func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    )
        async throws -> T
    {
        let holder = Holder()
        let (client, location) = (client, location)
        return try await Self.race(within: timeout, location: location) {
            do {
                return try await client.withConnection { connection in
                    holder.hold(connection)
                    defer { holder.release() }
                    return try await body(connection)
                }
            } catch let error as PSQLError where error.code == .connectionError {
                throw Unreachable(location: location, reason: error.underlying.map { "\($0)" } ?? "unknown")
            }
        } onTimeout: {
            // The work is stuck on a connection: closing it makes the query fail and frees the lease.
            holder.closeHeld()
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
                    in: .nanoseconds(
                        Int64(limit.components.seconds) * 1_000_000_000
                            + limit.components.attoseconds / 1_000_000_000)
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
        private let state = Mutex<(connection: PostgresConnection?, timedOut: Bool)>((nil, false))

        func hold(_ connection: PostgresConnection) {
            let late = state.withLock { state in
                state.connection = connection
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
