import ArgumentParser

extension VigilCtl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Hub status: uptime, ingest rates, totals, duplicates, rejects, connected agents."
        )

        func run() async throws {
            throw ValidationError("'vigilctl status' is not implemented yet")
        }
    }
}
