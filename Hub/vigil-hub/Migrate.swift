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
                let store = try SQLiteEventStore.open(path: configuration.store.path)
                let migrations = try store.appliedMigrations()
                print("store \(configuration.store.path): migrations applied: \(migrations.joined(separator: ", "))")
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
