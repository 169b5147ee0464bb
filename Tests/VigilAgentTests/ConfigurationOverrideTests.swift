import Foundation
import Testing
import VigilAgent
import VigilConfiguration

/// `--set key.path=value` over the agent's file: the same checks as the file, errors naming the flag.
@Suite("Configuration --set overrides")
struct ConfigurationOverrideTests {
    static func overrides(_ arguments: String...) throws -> [ConfigurationOverride] {
        try arguments.map { try ConfigurationOverride(parsing: $0) }
    }

    static func load(_ arguments: String...) throws -> AgentConfiguration {
        try AgentConfiguration.load(
            yaml: AgentConfigurationTests.minimal, source: "agent.yaml",
            overrides: arguments.map { try ConfigurationOverride(parsing: $0) })
    }

    static func error(_ arguments: String...) -> String? {
        do {
            _ = try AgentConfiguration.load(
                yaml: AgentConfigurationTests.minimal + "sampling: { interval: 1m }\n", source: "agent.yaml",
                overrides: arguments.map { try ConfigurationOverride(parsing: $0) })
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("values replace the file's, nested keys and mappings are made, YAML values, the last flag wins")
    func applied() throws {
        let configuration = try Self.load(
            "agent_id=web-07", "labels.service=checkout", "labels.version=2.0.0", "sampling.interval=5s",
            "endpoints=[\"a.internal:7443\", \"b.internal:7443\"]", "labels.version=2.0.1")
        #expect(configuration.agentID == "web-07")
        #expect(configuration.labels == ["service": "checkout", "version": "2.0.1"])
        #expect(configuration.sampling.interval == .seconds(5))
        #expect(configuration.endpoints.map(\.description) == ["a.internal:7443", "b.internal:7443"])
        // Without flags, the file as it is.
        #expect(try Self.load().agentID == "web-01")
    }

    @Test("a bad value, an unknown key or a bad path names the flag, as the file's error would name the line")
    func errors() {
        #expect(
            Self.error("sampling.interval=5x")
                == "--set sampling.interval: sampling.interval: expected a duration such as 500ms, 10s, 5m, 4h or 90d, got \"5x\""
        )
        #expect(
            Self.error("sampling.intervl=5s")?.hasPrefix("--set sampling.intervl: sampling.intervl: unknown key")
                == true)
        #expect(Self.error("sampling.intervl=5s")?.contains("did you mean interval?") == true)
        #expect(
            Self.error("agent_id.name=x")
                == "--set agent_id.name: agent_id is not a mapping in the file, so it has no key name")
        // An error the flag did not cause still names the file.
        #expect(
            Self.error("labels.service=checkout", "buffer.when_full=sometimes")?.hasPrefix(
                "--set buffer.when_full: ") == true)
        do {
            _ = try AgentConfiguration.load(
                yaml: AgentConfigurationTests.minimal + "buffer: { when_full: sometimes }\n", source: "agent.yaml",
                overrides: Self.overrides("labels.service=checkout"))
            Issue.record("an invalid file loaded")
        } catch {
            #expect("\(error)".hasPrefix("agent.yaml:"), "\(error)")
        }
    }

    @Test("a malformed flag is refused before anything runs")
    func syntax() {
        for (argument, expected) in [
            ("agent_id", "expected key.path=value"), ("Agent=x", "lowercase letters"), ("a..b=1", "lowercase letters"),
            ("=x", "lowercase letters"),
        ] {
            do {
                _ = try ConfigurationOverride(parsing: argument)
                Issue.record("\(argument) parsed")
            } catch {
                let named =
                    argument.split(separator: "=", omittingEmptySubsequences: false).first.map(String.init) ?? ""
                #expect(
                    error.description.hasPrefix("--set \(named): ") && error.description.contains(expected), "\(error)")
            }
        }
    }

    @Test("--effective says where each value came from")
    func effective() throws {
        let summary = "agent_id: web-07\nlabels: service=\"checkout\"\ntls.ca: /x\nbuffer.path: /y\n# note"
        let annotated = EffectiveSummary.annotate(
            summary, fileKeys: ["agent_id", "tls", "tls.ca"],
            overrides: try Self.overrides("agent_id=web-07", "labels.service=checkout"))
        #expect(
            annotated == """
                agent_id: web-07    # --set agent_id
                labels: service="checkout"    # --set labels.service
                tls.ca: /x    # file
                buffer.path: /y    # default
                # note
                """)
    }
}
