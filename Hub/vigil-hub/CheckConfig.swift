import ArgumentParser

extension VigilHubCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a hub configuration file and print the effective settings."
        )

        func run() async throws {
            throw ValidationError("'vigil-hub check-config' is not implemented yet")
        }
    }
}
