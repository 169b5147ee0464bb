import ArgumentParser
import VigilHub

extension VigilHubCommand {
    struct TestRules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test-rules",
            abstract: "Run alert-rule unit tests (input series over time, expected alerts), like promtool.",
            discussion: "Exits 0 when every test group passes, 1 otherwise."
        )

        @Argument(help: "Rule test files.")
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one rule test file") }
        }

        func run() async throws {
            let outcome = RuleTestRunner.runFiles(files)
            printLine(outcome.text)
            if !outcome.passed { throw ExitCode(1) }
        }
    }
}
