import ArgumentParser
import VigilAgent
import VigilConfiguration

extension VigilAgentCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate an agent configuration file and print the effective settings.",
            discussion: """
                Checks the TLS files too: that each exists and parses, that the key is the certificate's, that \
                the CA signed it, that it is valid now (a warning under 30 days left), and that it names \
                agent_id as CN or a DNS name. Every problem is printed; the exit status is 1 if any is an error.
                """
        )

        @Argument(help: "The configuration file.")
        var file: String

        @Option(
            name: .customLong("set"),
            help: ArgumentHelp("Override one key, as for run (repeatable).", valueName: "key.path=value"))
        var sets: [String] = []

        @Flag(help: "After each value, say where it came from: the file, a --set flag, or the default.")
        var effective = false

        func run() async throws {
            do {
                let overrides = try ConfigurationOverride.parse(sets)
                let (configuration, fileKeys) = try AgentConfiguration.loadDocument(path: file, overrides: overrides)
                let summary = configuration.renderedSummary()
                print(
                    effective
                        ? EffectiveSummary.annotate(summary, fileKeys: fileKeys, overrides: overrides) : summary)
                let findings = TLSFilesCheck.check(
                    ca: configuration.tls.ca, cert: configuration.tls.cert, key: configuration.tls.key,
                    identity: configuration.agentID)
                for finding in findings { print("\(file): \(finding)") }
                if findings.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                print("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
