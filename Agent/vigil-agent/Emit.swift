import ArgumentParser
import Foundation
import VigilAgent
import VigilProtocol

extension VigilAgentCommand {
    struct Emit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "emit",
            abstract: "Send one event to the local agent socket; exit non-zero unless it was made durable."
        )

        @Option(help: "The agent's ingest socket.")
        var socket: String = "/run/vigil/agent.sock"

        @Option(help: "Event name, e.g. request or import_completed.")
        var name: String

        @Option(help: "ok or error.")
        var outcome: String?

        @Option(help: "Duration in milliseconds.")
        var durationMs: Double?

        @Option(help: "Error category, e.g. timeout.")
        var errorCategory: String?

        @Option(help: "Service (default: the agent's service label).")
        var service: String?

        @Option(help: "Version (default: the agent's version label).")
        var version: String?

        @Option(name: .customLong("attr"), help: "An attribute as key=value; repeat for more.")
        var attributes: [String] = []

        @Option(help: "Seconds to wait for the agent's answer.")
        var timeout: Int = 10

        func validate() throws {
            if let outcome, !["ok", "error"].contains(outcome) {
                throw ValidationError("--outcome must be ok or error, got \(outcome)")
            }
            for attribute in attributes where !attribute.contains("=") || attribute.hasPrefix("=") {
                throw ValidationError("--attr must be key=value, got \(attribute)")
            }
        }

        func run() async throws {
            var event = Vigil_V1_Event()
            event.name = name
            event.outcome = outcome == "error" ? .error : (outcome == "ok" ? .ok : .unspecified)
            event.durationMs = durationMs ?? 0
            event.errorCategory = errorCategory ?? ""
            event.service = service ?? ""
            event.version = version ?? ""
            for attribute in attributes {
                let parts = attribute.split(separator: "=", maxSplits: 1)
                event.attributes[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            var record = Vigil_V1_Record()
            record.event = event
            do {
                let ack = try await IngestClient.send(
                    framedChunks: IngestClient.frame([record]),
                    count: 1,
                    socketPath: socket,
                    timeout: .seconds(timeout)
                )
                if ack.durableCount == 1 {
                    print("durable")
                } else {
                    print("rejected: \(ack.lastRejection)")
                    throw ExitCode(1)
                }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("not sent: \(error)")
                throw ExitCode(2)
            }
        }
    }
}
