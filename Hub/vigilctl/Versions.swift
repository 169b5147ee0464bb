import ArgumentParser

extension VigilCtl {
    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "versions",
            abstract: "Per-version comparison of a service with the canary verdict and its evidence."
        )

        func run() async throws {
            throw ValidationError("'vigilctl versions' is not implemented yet")
        }
    }
}
