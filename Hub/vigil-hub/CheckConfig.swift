import ArgumentParser
import VigilHub

extension VigilHubCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a hub configuration file and print the effective settings."
        )

        @Argument(help: "The configuration file.")
        var file: String

        func run() async throws {
            do {
                print(try HubConfiguration.load(path: file).renderedSummary(), terminator: "")
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
