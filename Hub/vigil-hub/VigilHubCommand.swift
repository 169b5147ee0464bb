import ArgumentParser
import VigilHub

/// `vigil-hub`: receives agents' streams over mutual TLS, stores them exactly once, and reports.
@main
struct VigilHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-hub",
        abstract: "Vigil hub: receive agent streams over mTLS, store exactly once, judge versions, alert.",
        version: VigilHubInfo.version,
        subcommands: [Serve.self, Migrate.self, CheckConfig.self, TestRules.self]
    )
}
