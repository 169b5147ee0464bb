import ArgumentParser
import VigilConfiguration
import VigilHub

extension VigilHubCommand {
    struct CheckConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config",
            abstract: "Validate a hub configuration file and its alert rule files, and print the effective settings.",
            discussion: """
                Checks the TLS files too: that each exists and parses, that the key is the certificate's, that \
                the CA signed it, and that it is valid now (a warning under 30 days left). Every TLS problem is \
                printed; the exit status is 1 if any is an error.
                """
        )

        @Argument(help: "The configuration file.")
        var file: String

        @Option(
            name: .customLong("set"),
            help: ArgumentHelp("Override one key, as for serve (repeatable).", valueName: "key.path=value"))
        var sets: [String] = []

        @Flag(help: "After each value, say where it came from: the file, a --set flag, or the default.")
        var effective = false

        func run() async throws {
            do {
                let overrides = try parseOverrides(sets)
                let (configuration, fileKeys) = try HubConfiguration.loadDocument(path: file, overrides: overrides)
                let rules = try RuleFile.load(paths: configuration.alerts.rules)
                try AdminServer.checkFiles(auth: configuration.adminAuth, tls: configuration.adminTLS)
                let summary = configuration.renderedSummary()
                print(
                    effective ? EffectiveSummary.annotate(summary, fileKeys: fileKeys, overrides: overrides) : summary,
                    terminator: "")
                print("# alert rules loaded: \(rules.count) from \(configuration.alerts.rules.count) file(s)")
                let findings = TLSFilesCheck.check(
                    ca: configuration.tls.ca, cert: configuration.tls.cert, key: configuration.tls.key)
                for finding in findings { printError("\(file): \(finding)") }
                if findings.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
