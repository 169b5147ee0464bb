import ArgumentParser
import VigilAgent
import VigilConfiguration

/// `--config FILE` and `--set key.path=value`, shared by the subcommands that read the agent configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Agent configuration file.")
    var config: String = "/etc/vigil/agent.yaml"

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override one key of the file, e.g. --set agent_id=web-07 (repeatable; YAML values; checked as the file is).",
            valueName: "key.path=value"))
    var sets: [String] = []

    /// The `--set` flags, parsed.
    func overrides() throws -> [ConfigurationOverride] {
        do {
            return try ConfigurationOverride.parse(sets)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func load() throws -> AgentConfiguration {
        let overrides = try overrides()
        do {
            return try AgentConfiguration.load(path: config, overrides: overrides)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
