import ArgumentParser

extension VigilAgentCommand {
    struct Emit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "emit",
            abstract: "Send one event to the local agent socket; exit non-zero unless it was made durable."
        )

        func run() async throws {
            throw ValidationError("'vigil-agent emit' is not implemented yet")
        }
    }
}
