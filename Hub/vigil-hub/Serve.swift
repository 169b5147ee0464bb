import ArgumentParser

extension VigilHubCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the hub: TLS receiver, store, evaluations and the admin HTTP API."
        )

        func run() async throws {
            throw ValidationError("'vigil-hub serve' is not implemented yet")
        }
    }
}
