import ArgumentParser

extension VigilHubCommand {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Create or upgrade the hub's store schema and exit."
        )

        func run() async throws {
            throw ValidationError("'vigil-hub migrate' is not implemented yet")
        }
    }
}
