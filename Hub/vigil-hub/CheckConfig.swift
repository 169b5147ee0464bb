import ArgumentParser
import VigilHub

extension VigilHubCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a hub configuration file and its alert rule files, and print the effective settings."
        )

        @Argument(help: "The configuration file.")
        var file: String

        func run() async throws {
            do {
                let configuration = try HubConfiguration.load(path: file)
                let rules = try RuleFile.load(paths: configuration.alerts.rules)
                try AdminServer.checkFiles(auth: configuration.adminAuth, tls: configuration.adminTLS)
                print(configuration.renderedSummary(), terminator: "")
                print("# alert rules loaded: \(rules.count) from \(configuration.alerts.rules.count) file(s)")
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
