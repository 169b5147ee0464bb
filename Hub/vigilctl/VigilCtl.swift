import ArgumentParser

/// `vigilctl`: the ops CLI over the hub's HTTP API.
@main
struct VigilCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigilctl",
        abstract: "Ask a Vigil hub about its agents, versions, recommendations and alerts.",
        subcommands: [Status.self, Agents.self, Versions.self, Recommendations.self, Alerts.self]
    )
}
