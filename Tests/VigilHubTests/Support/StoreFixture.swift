import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import VigilHub

/// The two stores the hub runs on. Store and rollup suites take this as their argument, so each assertion runs
/// against a real SQLite file and a real PostgreSQL database (DESIGN §7).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// A fresh store of one kind: a SQLite file in a temporary directory, or a new database on the test process's
/// PostgreSQL server (started on first use). ``reopen(hubID:)`` opens the same data again, as a restarted or a
/// second replica would.
final class StoreFixture: Sendable {
    let kind: StoreKind
    /// Holds the SQLite file.
    let directory: TemporaryDirectory
    /// The PostgreSQL database, for `postgres`.
    let database: String?
    let store: any HubStore

    private init(kind: StoreKind, directory: TemporaryDirectory, database: String?, store: any HubStore) {
        self.kind = kind
        self.directory = directory
        self.database = database
        self.store = store
    }

    /// A fresh store; `rollsUpOnCommit: false` leaves a SQLite store's rollups to its job (PostgreSQL commits
    /// always fold).
    static func open(
        _ kind: StoreKind, hubID: String = "hub-a", rollsUpOnCommit: Bool = true
    ) async throws
        -> StoreFixture
    {
        let directory = TemporaryDirectory()
        switch kind {
        case .sqlite:
            let store = try SQLiteEventStore.open(path: directory.file("hub.db"), rollsUpOnCommit: rollsUpOnCommit)
            return StoreFixture(kind: kind, directory: directory, database: nil, store: store)
        case .postgres:
            let server = try PostgresServer.start()
            let database = try server.database()
            let store = try await openPostgres(server: server, database: database, hubID: hubID)
            return StoreFixture(kind: kind, directory: directory, database: database, store: store)
        }
    }

    /// The same data opened again (another process, or another replica named `hubID`).
    func reopen(hubID: String = "hub-b") async throws -> any HubStore {
        switch kind {
        case .sqlite:
            return try SQLiteEventStore.open(path: directory.file("hub.db"))
        case .postgres:
            return try await Self.openPostgres(server: try PostgresServer.start(), database: database!, hubID: hubID)
        }
    }

    /// SQL run in the PostgreSQL database (psql), or `nil` for SQLite.
    func psql(_ sql: String) throws -> String? {
        guard let database else { return nil }
        return try PostgresServer.start().psql(database, sql)
    }

    static func openPostgres(
        server: PostgresServer, database: String, hubID: String
    ) async throws
        -> PostgresEventStore
    {
        var quiet = Logger(label: "test.postgres")
        quiet.logLevel = .critical
        let target = try PostgresTarget.parse(server.url(database))
        return try await PostgresEventStore.open(
            PostgresEventStore.Connection(target: target, poolSize: 4), hubID: hubID, logger: quiet)
    }
}
