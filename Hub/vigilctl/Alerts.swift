import ArgumentParser

extension VigilCtl {
    struct Alerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alerts",
            abstract: "Pending and firing alerts."
        )

        func run() async throws {
            throw ValidationError("'vigilctl alerts' is not implemented yet")
        }
    }
}
