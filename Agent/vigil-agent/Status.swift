import ArgumentParser
import Foundation
import VigilAgent
import VigilConfiguration

extension VigilAgentCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Print the agent's backlog, rates, drops and hub connection from its database.",
            discussion: """
                With --check, print nothing when the agent runs and reaches a hub, else one line per problem, \
                and exit 1 when the agent is not running (or has no status yet), 2 when it has not reached a \
                hub for longer than --hub-silence (unless --running-only): a probe or a monitoring check. \
                Bad flags or a configuration that does not load exit 64.
                """
        )

        @OptionGroup var config: ConfigOption

        @Option(help: "Read this agent database instead of the one the configuration names.")
        var database: String?

        @Flag(help: "Print the status document as JSON.")
        var json = false

        @Flag(help: "Check instead of printing: exit 0 when running and reaching a hub, 1 or 2 when not.")
        var check = false

        @Option(help: "With --check: how long without reaching a hub is a failure (e.g. 90s, 5m).")
        var hubSilence: String = "5m"

        @Flag(
            help: """
                With --check: fail only when the agent is not running, whatever the hub (a liveness probe: \
                restarting an agent does not bring a hub back).
                """)
        var runningOnly = false

        func validate() throws {
            guard ConfigurationValue.duration(hubSilence) != nil else {
                throw ValidationError(
                    "--hub-silence: '\(hubSilence.prefix(40))' is not a duration (a whole number and ms, s, m, h or d)")
            }
        }

        func run() async throws {
            let path = try database ?? config.load().buffer.path
            let status: AgentStatus
            do {
                guard let saved = try AgentStatus.read(databasePath: path) else {
                    print("no status yet: the agent has not run with \(path)")
                    throw ExitCode(1)
                }
                status = saved
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("cannot read agent status: \(error)")
                throw ExitCode(1)
            }
            if check {
                let silence = ConfigurationValue.duration(hubSilence) ?? .seconds(300)
                let (notRunning, lines) = status.problems(
                    nowUnixNano: Int64(Date().timeIntervalSince1970 * 1e9), hubSilence: silence)
                if runningOnly && !notRunning { return }
                for line in lines { print("\(status.agentID): \(line)") }
                if notRunning { throw ExitCode(1) }
                if !lines.isEmpty { throw ExitCode(2) }
                return
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                // snake_case, as the hub's API: one JSON convention (docs/json.md).
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            print(StatusTable.render(status, nowUnixNano: Int64(Date().timeIntervalSince1970 * 1e9)))
        }
    }
}
