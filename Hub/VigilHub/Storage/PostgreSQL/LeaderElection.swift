import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

// LeaderElection: which of the replicas on one PostgreSQL runs the evaluations (and so the alert
// notifications): the one holding a session advisory lock on a connection of its own.
//
// Invariants:
// - At most one replica holds the lock: PostgreSQL grants `pg_try_advisory_lock` to one session at a time.
// - The lock lives as long as the session: when the leader's process dies its connection closes, the server
//   ends the session and frees the lock, and another replica takes it at its next try, within
//   `tryInterval` (half an evaluation interval, so the gap stays under two intervals).
// - A leader confirms its session (`SELECT 1` on the lock's connection) before every evaluation; if that
//   fails it steps down at once, so a replica cut off from the database does not go on notifying while
//   another one has taken over.
// - A cut link cannot keep a leader: every statement on the lock's session has a deadline (``deadline``,
//   one evaluation interval); a leader whose heartbeat misses it steps down and closes the session. The
//   session is also set to end on the server after ``idleLimit`` without a statement (`idle_session_timeout`),
//   so the server frees the lock of a leader it cannot hear from (after that leader stepped down), and another
//   replica takes over: within about 2.5 evaluation intervals of the cut, where a dead leader's takes two.
// - On becoming leader it calls `onElected` first (the alert manager and the decision engine reload the
//   state the previous leader saved), then reports itself leader.

/// Holds, or keeps trying to take, the evaluation lock.
public final class LeaderElection: Service, Sendable {
    /// `pg_advisory_lock` key of the evaluation lock ("vigillead").
    static let lockKey: Int64 = 0x7669_6769_6C6C_6561

    private let connection: PostgresEventStore.Connection
    private let hubID: String
    private let addresses: (listen: String, admin: String)
    private let startedUnixNano: Int64
    let tryInterval: Duration
    private let logger: Logger
    private let onElected: @Sendable () async -> Void
    private let state = Mutex(State())
    private let session = Mutex<PostgresConnection?>(nil)

    private struct State {
        var leader = false
        var elections: UInt64 = 0
    }

    /// Creates the election; `onElected` runs each time this replica becomes leader, before it evaluates.
    public init(
        connection: PostgresEventStore.Connection, hubID: String, listen: String = "", admin: String = "",
        tryInterval: Duration, logger: Logger = Logger(label: "vigil.hub.leader"),
        onElected: @escaping @Sendable () async -> Void
    ) {
        self.connection = connection
        self.hubID = hubID
        self.addresses = (listen, admin)
        self.startedUnixNano = Int64(Date().timeIntervalSince1970 * 1e9)
        self.tryInterval = tryInterval
        self.logger = logger
        self.onElected = onElected
    }

    /// Whether this replica leads now.
    public var isLeader: Bool { state.withLock { $0.leader } }
    /// Times this replica became leader since start.
    public var elections: UInt64 { state.withLock { $0.elections } }

    /// How long a statement on the lock's session may take before the session is given up (a second at
    /// least: a busy server or machine must not make leadership flap).
    var deadline: Duration { max(tryInterval * 2, .seconds(1)) }
    /// How long the server keeps a session that sends nothing. A leader whose link went silent has stepped
    /// down before this (its heartbeat, every ``tryInterval``, missed its ``deadline``), so the lock is freed
    /// for another replica only once no one leads.
    var idleLimit: Duration { max(deadline + tryInterval * 2, .seconds(2)) }

    /// Whether this replica still leads: confirms its session with the server; steps down if it cannot.
    public func confirm() async -> Bool {
        guard isLeader, let connection = session.withLock({ $0 }) else { return false }
        do {
            try await bounded(connection, "SELECT 1")
            return true
        } catch {
            stepDown(because: "\(PostgresEventStore.classify(error, as: .read, doing: "confirm the leader lock"))")
            return false
        }
    }

    /// Takes the lock when it is free, until graceful shutdown; then closes the session (freeing the lock).
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let opened = try await PostgresConnection.connect(
                    configuration: try PostgresEventStore.connectionConfiguration(connection), id: 1, logger: logger)
                session.withLock { $0 = opened }
                do {
                    let idleMilliseconds = idleLimit.totalNanoseconds / 1_000_000
                    try await bounded(
                        opened, PostgresQuery(unsafeSQL: "SET idle_session_timeout = \(idleMilliseconds)"))
                    try await hold(opened)
                } catch {
                    stepDown(because: "\(PostgresEventStore.classify(error, as: .read, doing: "hold the leader lock"))")
                }
                // Closing ends the session, which frees the lock for another replica.
                session.withLock { $0 = nil }
                try? await opened.close()
            } catch {
                stepDown(
                    because: "\(PostgresEventStore.classify(error, as: .read, doing: "connect for the leader lock"))")
            }
            try? await cancelWhenGracefulShutdown { [tryInterval] in try await Task.sleep(for: tryInterval) }
        }
        stepDown(because: "shutting down")
    }

    private func hold(_ connection: PostgresConnection) async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // A leader keeps its session checked by the heartbeat below.
            if !isLeader {
                let rows = try await bounded(connection, "SELECT pg_try_advisory_lock(\(Self.lockKey))")
                if try rows.first?.decode(Bool.self) == true {
                    await onElected()
                    state.withLock {
                        $0.leader = true
                        $0.elections += 1
                    }
                    logger.info("this hub leads the evaluations", metadata: ["hub.id": "\(hubID)"])
                }
            }
            try await beat(connection)
            try? await cancelWhenGracefulShutdown { [tryInterval] in try await Task.sleep(for: tryInterval) }
        }
    }

    /// The replica's heartbeat row: what `/v1/status` lists, and whether it leads.
    private func beat(_ connection: PostgresConnection) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        try await bounded(
            connection,
            """
            INSERT INTO replicas (hub_id, listen, admin, started, last_beat, leader)
            VALUES (\(hubID), \(addresses.listen), \(addresses.admin), \(startedUnixNano), \(now), \(isLeader))
            ON CONFLICT (hub_id) DO UPDATE SET listen = excluded.listen, admin = excluded.admin,
                started = excluded.started, last_beat = excluded.last_beat, leader = excluded.leader
            """)
    }

    /// Runs `query` on the lock's session within ``deadline``; past it, closes the session (freeing the lock on
    /// the server, if the server still hears us) and throws.
    ///
    /// The answer and the deadline meet on the connection's event loop, not in a task: a hub whose concurrency
    /// threads are busy (an evaluation, a burst of agents' backlogs after a failover) is late to resume, but the
    /// server answered in time, and that is what the lock depends on. Timing the task would make a busy leader
    /// step down, and a new one flap, exactly when the tier is under load.
    @discardableResult
    private func bounded(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        let loop = connection.eventLoop
        let outcome = loop.makePromise(of: [PostgresRow].self)
        // Whichever of the answer and the deadline comes first settles the outcome.
        let settled = Atomic(false)
        let timeout = PostgresPool.Timeout(
            location: self.connection.target.description, seconds: deadline.components.seconds)
        let timer = loop.scheduleTask(in: .nanoseconds(deadline.totalNanoseconds)) {
            guard !settled.exchange(true, ordering: .relaxed) else { return }
            outcome.fail(timeout)
            _ = connection.close() as EventLoopFuture<Void>
        }
        // Its callbacks run on the connection's event loop.
        connection.query(query, logger: logger).whenComplete { result in
            guard !settled.exchange(true, ordering: .relaxed) else { return }
            timer.cancel()
            outcome.completeWith(result.map(\.rows))
        }
        return try await outcome.futureResult.get()
    }

    private func stepDown(because reason: String) {
        let was = state.withLock { state in
            defer { state.leader = false }
            return state.leader
        }
        if was { logger.warning("this hub stopped leading", metadata: ["reason": "\(reason)"]) }
    }
}
