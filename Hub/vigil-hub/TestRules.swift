import ArgumentParser

extension VigilHubCommand {
    struct TestRules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-rules",
            abstract: "Run alert-rule unit tests (input series over time, expected alerts)."
        )

        func run() async throws {
            throw ValidationError("'vigil-hub test-rules' is not implemented yet")
        }
    }
}
