import ArgumentParser
import VigilAgent

extension VigilAgentCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate an agent configuration file and print the effective settings."
        )

        @Argument(help: "The configuration file.")
        var file: String

        func run() async throws {
            do {
                let configuration = try AgentConfiguration.load(path: file)
                print(configuration.renderedSummary())
            } catch {
                print("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
