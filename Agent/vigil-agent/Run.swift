import ArgumentParser

extension VigilAgentCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run the agent (sampling, ingest socket, buffer, shipper) until SIGTERM."
        )

        func run() async throws {
            throw ValidationError("'vigil-agent run' is not implemented yet")
        }
    }
}
