import ArgumentParser
import VigilAgent

/// `vigil-agent`: samples the host, takes events on a local socket, buffers them durably and ships
/// them to the hub.
@main
struct VigilAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-agent",
        abstract: "Vigil agent: sample the host, ingest local events, buffer durably, ship to the hub.",
        version: VigilAgentInfo.version,
        subcommands: [Run.self, Emit.self, Status.self, CheckConfig.self]
    )

    static func main() async {
        await main(ProcessArguments.current)
    }
}
