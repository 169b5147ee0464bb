import ArgumentParser

extension VigilCtl {
    struct Recommendations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recommendations",
            abstract: "Circuit-breaker and autoscaling recommendations with their reasons."
        )

        func run() async throws {
            throw ValidationError("'vigilctl recommendations' is not implemented yet")
        }
    }
}
