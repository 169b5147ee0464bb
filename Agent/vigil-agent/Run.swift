import ArgumentParser
import Logging
import VigilAgent

extension VigilAgentCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run the agent (sampling, ingest socket, buffer, shipper) until SIGTERM."
        )

        @OptionGroup var config: ConfigOption

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: Logger.Level = .info

        func run() async throws {
            let configuration = try config.load()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
            var logger = Logger(label: "vigil.agent")
            logger[metadataKey: "agent.id"] = "\(configuration.agentID)"
            let runtime: AgentRuntime
            do {
                runtime = try AgentRuntime.make(configuration: configuration, logger: logger)
            } catch {
                logger.error("cannot start", metadata: ["error": "\(error)"])
                throw ExitCode(1)
            }
            // The ingest service binds the socket once the group has trapped SIGTERM, so the socket's
            // appearance means the agent is ready and a stop request will be graceful.
            logger.info("agent started", metadata: ["buffer.path": "\(configuration.buffer.path)"])
            try await runtime.serviceGroup(logger: logger).run()
            logger.info("agent stopped")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
