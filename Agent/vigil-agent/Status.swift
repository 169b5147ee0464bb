import ArgumentParser

extension VigilAgentCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Print the agent's backlog, rates, drops and hub connection from its database."
        )

        func run() async throws {
            throw ValidationError("'vigil-agent status' is not implemented yet")
        }
    }
}
