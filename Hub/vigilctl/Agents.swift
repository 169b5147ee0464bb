import ArgumentParser

extension VigilCtl {
    struct Agents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "agents",
            abstract: "Agents: labels, connection, last seen, lag, records, duplicates, gaps."
        )

        func run() async throws {
            throw ValidationError("'vigilctl agents' is not implemented yet")
        }
    }
}
