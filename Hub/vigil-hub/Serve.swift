import ArgumentParser
import Foundation
import Logging
import Synchronization
import VigilConfiguration
import VigilHub

extension VigilHubCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run the hub: TLS receiver, store, evaluations and the admin HTTP API."
        )

        @Option(help: "The hub configuration file.")
        var config: String

        @Option(
            name: .customLong("set"),
            help: ArgumentHelp(
                "Override one key of the file, e.g. --set hub_id=hub-b (repeatable; YAML values; checked as the file is; kept on reloads).",
                valueName: "key.path=value"))
        var sets: [String] = []

        @Option(help: "Write the bound listen and admin addresses to this file once both listen.")
        var portsFile: String?

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: String = "info"

        func run() async throws {
            MemoryBounds.apply()
            let overrides = try parseOverrides(sets)
            let configuration = try loadConfiguration(config, overrides: overrides)
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "vigil.hub")
            let listenBound = Mutex<HostPort?>(nil)
            let portsFile = self.portsFile
            let runtime: HubRuntime
            do {
                runtime = try await HubRuntime.make(
                    configuration: configuration, configurationPath: config, overrides: overrides, logger: logger
                ) { admin in
                    printLine("admin on \(admin)")
                    if let portsFile, let listen = listenBound.withLock({ $0 }) {
                        Self.writePorts(listen: listen, admin: admin, to: portsFile, logger: logger)
                    }
                }
            } catch {
                printError("vigil-hub: cannot start: \(error)")
                throw ExitCode(1)
            }
            let listen: HostPort
            do {
                listen = try await runtime.receiver.bind()
            } catch {
                printError("vigil-hub: cannot listen on \(configuration.listen): \(error)")
                throw ExitCode(1)
            }
            listenBound.withLock { $0 = listen }
            printLine("listening on \(listen)")
            logger.info(
                "hub started",
                metadata: ["hub.id": "\(runtime.hubID)", "store": "\(runtime.store.kind) \(runtime.store.location)"])
            try await runtime.serviceGroup(logger: logger).run()
            logger.info("hub stopped")
        }

        /// Writes `listen HOST:PORT` and `admin HOST:PORT` lines, atomically (write then rename).
        static func writePorts(listen: HostPort, admin: HostPort, to path: String, logger: Logger) {
            let text = "listen \(listen)\nadmin \(admin)\n"
            do {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                logger.error("cannot write the ports file", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }
}
