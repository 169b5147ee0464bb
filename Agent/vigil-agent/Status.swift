import ArgumentParser
import Foundation
import VigilAgent

extension VigilAgentCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Print the agent's backlog, rates, drops and hub connection from its database."
        )

        @OptionGroup var config: ConfigOption

        @Option(help: "Read this agent database instead of the one the configuration names.")
        var database: String?

        @Flag(help: "Print the status document as JSON.")
        var json = false

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
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            print(StatusTable.render(status, nowUnixNano: Int64(Date().timeIntervalSince1970 * 1e9)))
        }
    }
}
