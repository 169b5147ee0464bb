import ArgumentParser

extension VigilAgentCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate an agent configuration file and print the effective settings."
        )

        func run() async throws {
            throw ValidationError("'vigil-agent check-config' is not implemented yet")
        }
    }
}
