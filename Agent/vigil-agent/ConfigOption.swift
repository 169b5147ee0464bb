import ArgumentParser
import VigilAgent

/// `--config FILE`, shared by the subcommands that read the agent configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Agent configuration file.")
    var config: String = "/etc/vigil/agent.yaml"

    func load() throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: config)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
