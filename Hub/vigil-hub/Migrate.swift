import ArgumentParser
import VigilHub

extension VigilHubCommand {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the hub's store schema and exit."
        )

        @Option(help: "The hub configuration file.")
        var config: String

        func run() async throws {
            let configuration = try loadConfiguration(config)
            do {
                switch configuration.store.kind {
                case .sqlite:
                    let store = try SQLiteEventStore.open(path: configuration.store.path)
                    let migrations = try store.appliedMigrations()
                    print("store \(store.location): migrations applied: \(migrations.joined(separator: ", "))")
                case .postgres:
                    // Under the migration lock: a hub starting beside this waits, then finds nothing to do.
                    let store = try await PostgresEventStore.open(
                        try PostgresEventStore.Connection.from(configuration.store),
                        hubID: configuration.hubID ?? "vigil-hub migrate")
                    let migrations = try await store.appliedMigrations()
                    store.close()
                    print("store \(store.location): migrations applied: \(migrations.joined(separator: ", "))")
                }
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
