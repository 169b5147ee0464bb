import Foundation
import Testing
import VigilAgent
import VigilConfiguration

@Suite("Agent configuration")
struct AgentConfigurationTests {
    static let minimal = """
        agent_id: web-01
        endpoints: ["hub-a.internal:7443"]
        tls: { ca: /etc/vigil/ca.pem, cert: /etc/vigil/agent.pem, key: /etc/vigil/agent.key }

        """

    static let full = """
        # agent.yaml with every key set
        agent_id: web-01
        labels: { service: checkout, version: 1.4.0, env: prod }
        endpoints: ["hub-a.internal:7443", "10.0.0.7:7443", "[::1]:7444"]
        tls: { ca: /etc/vigil/ca.pem, cert: /etc/vigil/agent.pem, key: /etc/vigil/agent.key }
        ingest:
          socket: /run/vigil/other.sock
          mode: "0600"
          max_frame_bytes: 2MiB
          max_line_bytes: 131072
        buffer:
          path: /data/vigil/agent.db
          max_bytes: 2GiB
          when_full: reject_new
          durability: full
        sampling:
          interval: 1s
          mounts: ["/", "/data"]
          devices: [sda, nvme0n1]
          listen_ports: [8080, 8443]
        shipping:
          max_batch_records: 500
          max_batch_bytes: 512KiB
          max_in_flight: 8
          backoff_base: 250ms
          backoff_cap: 1m
        shutdown:
          drain_timeout: 15s

        """

    private func load(_ yaml: String) throws -> AgentConfiguration {
        try AgentConfiguration.load(yaml: yaml, source: "agent.yaml")
    }

    private func error(loading yaml: String) -> ConfigurationError? {
        do {
            _ = try AgentConfiguration.load(yaml: yaml, source: "agent.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("A file setting every key is read into every field")
    func fullFile() throws {
        let config = try load(Self.full)
        #expect(config.agentID == "web-01")
        #expect(config.labels == ["service": "checkout", "version": "1.4.0", "env": "prod"])
        #expect(
            config.endpoints == [
                .init(host: "hub-a.internal", port: 7443), .init(host: "10.0.0.7", port: 7443),
                .init(host: "::1", port: 7444),
            ]
        )
        #expect(config.endpoints[2].description == "[::1]:7444")
        #expect(config.tls == .init(ca: "/etc/vigil/ca.pem", cert: "/etc/vigil/agent.pem", key: "/etc/vigil/agent.key"))
        #expect(config.ingest.socket == "/run/vigil/other.sock")
        #expect(config.ingest.mode == 0o600)
        #expect(config.ingest.maxFrameBytes == 2 << 20)
        #expect(config.ingest.maxLineBytes == 131_072)
        #expect(config.buffer.path == "/data/vigil/agent.db")
        #expect(config.buffer.maxBytes == 2 << 30)
        #expect(config.buffer.whenFull == .rejectNew)
        #expect(config.buffer.durability == .full)
        #expect(config.sampling.interval == .seconds(1))
        #expect(config.sampling.mounts == ["/", "/data"])
        #expect(config.sampling.devices == ["sda", "nvme0n1"])
        #expect(config.sampling.listenPorts == [8080, 8443])
        #expect(config.shipping.maxBatchRecords == 500)
        #expect(config.shipping.maxBatchBytes == 512 << 10)
        #expect(config.shipping.maxInFlight == 8)
        #expect(config.shipping.backoffBase == .milliseconds(250))
        #expect(config.shipping.backoffCap == .seconds(60))
        #expect(config.shutdown.drainTimeout == .seconds(15))
    }

    @Test("A minimal file gets the documented defaults")
    func minimalFileDefaults() throws {
        let config = try load(Self.minimal)
        let expected = AgentConfiguration(
            agentID: "web-01",
            endpoints: [.init(host: "hub-a.internal", port: 7443)],
            tls: .init(ca: "/etc/vigil/ca.pem", cert: "/etc/vigil/agent.pem", key: "/etc/vigil/agent.key")
        )
        #expect(config == expected)
        #expect(config.labels.isEmpty)
        #expect(config.ingest.socket == "/run/vigil/agent.sock")
        #expect(config.ingest.mode == 0o660)
        #expect(config.ingest.maxFrameBytes == 1_048_576)
        #expect(config.ingest.maxLineBytes == 65_536)
        #expect(config.buffer.path == "/var/lib/vigil/agent.db")
        #expect(config.buffer.maxBytes == 1_073_741_824)
        #expect(config.buffer.whenFull == .dropOldest)
        #expect(config.buffer.durability == .normal)
        #expect(config.sampling.interval == .seconds(10))
        #expect(config.sampling.mounts == ["/"])
        #expect(config.sampling.devices.isEmpty)
        #expect(config.sampling.listenPorts.isEmpty)
        #expect(config.shipping.maxBatchRecords == 1000)
        #expect(config.shipping.maxBatchBytes == 1_048_576)
        #expect(config.shipping.maxInFlight == 16)
        #expect(config.shipping.backoffBase == .milliseconds(100))
        #expect(config.shipping.backoffCap == .seconds(30))
        #expect(config.shutdown.drainTimeout == .seconds(5))
    }

    @Test("Empty sections and null values keep the defaults")
    func emptySections() throws {
        let config = try load(Self.minimal + "sampling:\nbuffer: ~\nlabels: {}\nshipping:\n  max_in_flight:\n")
        #expect(config.sampling == .init())
        #expect(config.buffer == .init())
        #expect(config.shipping == .init())
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        let yaml: String
        let code: ConfigurationError.Code
        let keyPath: String
        let message: String
        var testDescription: String { keyPath.isEmpty ? message : keyPath }
    }

    static let badCases: [BadCase] = [
        BadCase(
            yaml: minimal + "buffer: { when_full: drop_newest }\n",
            code: .invalidValue,
            keyPath: "buffer.when_full",
            message: #"agent.yaml: buffer.when_full: expected drop_oldest or reject_new, got "drop_newest""#
        ),
        BadCase(
            yaml: minimal + "sampling:\n  intervall: 5s\n",
            code: .unknownKey,
            keyPath: "sampling.intervall",
            message: "agent.yaml: sampling.intervall: unknown key (did you mean interval?)"
        ),
        BadCase(
            yaml: minimal + "agentId: web-02\n",
            code: .unknownKey,
            keyPath: "agentId",
            message: "agent.yaml: agentId: unknown key (did you mean agent_id?)"
        ),
        BadCase(
            yaml: minimal + "colour: blue\n",
            code: .unknownKey,
            keyPath: "colour",
            message: "agent.yaml: colour: unknown key"
        ),
        BadCase(
            yaml: "endpoints: [\"hub:7443\"]\ntls: { ca: a, cert: b, key: c }\n",
            code: .missingKey,
            keyPath: "agent_id",
            message:
                "agent.yaml: agent_id: required key is missing (this agent's name as in its certificate, e.g. agent_id: web-01)"
        ),
        BadCase(
            yaml: "agent_id: web-01\nendpoints: [\"hub:7443\"]\ntls: { ca: a, cert: b }\n",
            code: .missingKey,
            keyPath: "tls.key",
            message:
                "agent.yaml: tls.key: required key is missing (this agent's private key PEM, e.g. /etc/vigil/agent.key)"
        ),
        BadCase(
            yaml: "agent_id: web-01\nendpoints: []\ntls: { ca: a, cert: b, key: c }\n",
            code: .invalidValue,
            keyPath: "endpoints",
            message: "agent.yaml: endpoints: expected at least one host:port, got a list"
        ),
        BadCase(
            yaml: "agent_id: web-01\nendpoints: [\"hub:7443\", \"hub:70000\"]\ntls: { ca: a, cert: b, key: c }\n",
            code: .invalidValue,
            keyPath: "endpoints[1]",
            message:
                #"agent.yaml: endpoints[1]: expected a port from 1 to 65535 after the colon (e.g. "hub.internal:7443"), got "hub:70000""#
        ),
        BadCase(
            yaml: "agent_id: web-01\nendpoints: [\"::1:7443\"]\ntls: { ca: a, cert: b, key: c }\n",
            code: .invalidValue,
            keyPath: "endpoints[0]",
            message:
                #"agent.yaml: endpoints[0]: write an IPv6 address in brackets, as [::1]:7443 (e.g. "hub.internal:7443"), got "::1:7443""#
        ),
        BadCase(
            yaml: "agent_id: -web\nendpoints: [\"hub:7443\"]\ntls: { ca: a, cert: b, key: c }\n",
            code: .invalidValue,
            keyPath: "agent_id",
            message:
                #"agent.yaml: agent_id: expected 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, got "-web""#
        ),
        BadCase(
            yaml: minimal + "sampling: { interval: 50ms }\n",
            code: .invalidValue,
            keyPath: "sampling.interval",
            message: #"agent.yaml: sampling.interval: expected a duration of at least 100ms, got "50ms""#
        ),
        BadCase(
            yaml: minimal + "sampling: { interval: 10 }\n",
            code: .invalidValue,
            keyPath: "sampling.interval",
            message: #"agent.yaml: sampling.interval: expected a duration such as 500ms, 10s, 5m, 4h or 90d, got "10""#
        ),
        BadCase(
            yaml: minimal + "ingest: { mode: \"0990\" }\n",
            code: .invalidValue,
            keyPath: "ingest.mode",
            message: #"agent.yaml: ingest.mode: expected an octal file mode such as "0660", got "0990""#
        ),
        BadCase(
            yaml: minimal + "buffer: { max_bytes: 10KiB }\n",
            code: .invalidValue,
            keyPath: "buffer.max_bytes",
            message: #"agent.yaml: buffer.max_bytes: expected a size in bytes of at least 1MiB, got "10KiB""#
        ),
        BadCase(
            yaml: minimal + "ingest: { max_line_bytes: 1MB }\n",
            code: .invalidValue,
            keyPath: "ingest.max_line_bytes",
            message: #"agent.yaml: ingest.max_line_bytes: expected a size in bytes from 1KiB to 16MiB, got "1MB""#
        ),
        BadCase(
            yaml: minimal + "sampling: { listen_ports: [8080, 0] }\n",
            code: .invalidValue,
            keyPath: "sampling.listen_ports[1]",
            message: #"agent.yaml: sampling.listen_ports[1]: expected a TCP port from 1 to 65535, got "0""#
        ),
        BadCase(
            yaml: minimal + "sampling: { mounts: [data] }\n",
            code: .invalidValue,
            keyPath: "sampling.mounts[0]",
            message: #"agent.yaml: sampling.mounts[0]: expected an absolute path, got "data""#
        ),
        BadCase(
            yaml: minimal + "shipping: { backoff_base: 1s, backoff_cap: 500ms }\n",
            code: .invalidValue,
            keyPath: "shipping.backoff_cap",
            message: #"agent.yaml: shipping.backoff_cap: expected a duration of at least 1s, got "500ms""#
        ),
        BadCase(
            yaml: minimal + "shipping: { max_in_flight: many }\n",
            code: .invalidValue,
            keyPath: "shipping.max_in_flight",
            message: #"agent.yaml: shipping.max_in_flight: expected a whole number from 1 to 1024, got "many""#
        ),
        BadCase(
            yaml: minimal + "labels: { service: [a, b] }\n",
            code: .invalidValue,
            keyPath: "labels.service",
            message: "agent.yaml: labels.service: expected a text value, got a list"
        ),
        BadCase(
            yaml: minimal.replacingOccurrences(of: "tls: {", with: "tlz: {"),
            code: .unknownKey,
            keyPath: "tlz",
            message: "agent.yaml: tlz: unknown key (did you mean tls?)"
        ),
        BadCase(
            yaml: "agent_id: web-01\nendpoints: [\"hub:7443\"]\ntls: /etc/vigil\n",
            code: .invalidValue,
            keyPath: "tls",
            message: #"agent.yaml: tls: expected a mapping with keys ca, cert, key, got "/etc/vigil""#
        ),
        BadCase(
            yaml: "- agent_id: web-01\n",
            code: .invalidValue,
            keyPath: "",
            message:
                "agent.yaml:1: expected a mapping of keys such as agent_id, endpoints and tls at the top level, got a list"
        ),
        BadCase(
            yaml: "",
            code: .missingKey,
            keyPath: "agent_id",
            message:
                "agent.yaml: agent_id: required key is missing (the file is empty; agent_id, endpoints and tls are required)"
        ),
    ]

    @Test("Each kind of mistake is reported with its key path and the value found", arguments: badCases)
    func badConfiguration(_ bad: BadCase) throws {
        let failure = try #require(error(loading: bad.yaml))
        #expect(failure.code == bad.code)
        #expect(failure.keyPath == bad.keyPath)
        #expect(failure.description == bad.message)
    }

    @Test("A label value longer than 256 bytes is refused with its size")
    func longLabel() throws {
        let long = String(repeating: "x", count: 300)
        let failure = try #require(error(loading: Self.minimal + "labels: { team: \(long) }\n"))
        #expect(failure.code == .invalidValue)
        #expect(failure.keyPath == "labels.team")
        #expect(failure.detail.hasPrefix("a label value must be at most 256 bytes, this one has 300"))
    }

    @Test("Malformed YAML is a syntax error naming the line")
    func syntaxError() throws {
        let failure = try #require(error(loading: Self.minimal + "sampling:\n  interval: [10s\n"))
        #expect(failure.code == .syntax)
        #expect(failure.line != nil)
        #expect(failure.description.hasPrefix("agent.yaml:\(failure.line ?? 0): not valid YAML: "))
        #expect(failure.cause != nil)
    }

    @Test("Every problem of a file is reported at once, in file order, each with its key path")
    func everyProblemAtOnce() throws {
        let text = """
            agent_id: "bad id!"
            endpoints: ["hub:70000"]
            tls: { ca: /etc/vigil/ca.pem, cert: /etc/vigil/agent.pem, key: /etc/vigil/agent.key }
            buffer: { max_bytes: 10KiB, when_full: drop_newest, pth: /x }
            sampling: { interval: 5x }
            shipping: { max_in_flight: 0 }

            """
        let failure = try #require(error(loading: text))
        #expect(
            failure.all.map(\.keyPath) == [
                "agent_id", "endpoints[0]", "buffer.pth", "sampling.interval", "shipping.max_in_flight",
            ])
        #expect(failure.all.first?.message == failure.message)
        #expect(failure.others.count == 4)
        // Once the section's keys are known, each of its values is checked on its own.
        let values = try #require(
            error(loading: Self.minimal + "buffer: { max_bytes: 10KiB, when_full: drop_newest }\n"))
        #expect(values.all.map(\.keyPath) == ["buffer.max_bytes", "buffer.when_full"])
    }

    @Test("A key written twice is a syntax error")
    func duplicateKey() throws {
        let failure = try #require(error(loading: Self.minimal + "sampling:\n  interval: 1s\n  interval: 2s\n"))
        #expect(failure.code == .syntax)
        #expect(failure.detail == #"duplicate key "interval""#)
    }

    @Test("A file that does not exist is unreadable, named by its path")
    func missingFile() throws {
        let path = "/nonexistent/vigil/agent.yaml"
        let failure = try #require(throws: ConfigurationError.self) {
            try AgentConfiguration.load(path: path)
        }
        #expect(failure.code == .unreadable)
        #expect(failure.description == "\(path): cannot open the file: No such file or directory (errno 2)")
    }

    @Test("A file on disk loads, and its errors are prefixed with its path")
    func fileOnDisk() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vigil-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("agent.yaml")
        try Data(Self.full.utf8).write(to: good)
        #expect(try AgentConfiguration.load(path: good.path).sampling.interval == .seconds(1))

        let bad = directory.appendingPathComponent("bad.yaml")
        try Data((Self.minimal + "buffer: { durability: fast }\n").utf8).write(to: bad)
        do {
            _ = try AgentConfiguration.load(path: bad.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "\(bad.path): buffer.durability: expected normal or full, got \"fast\"")
        }
    }

    @Test("The summary lists every effective setting and only the paths of the TLS files")
    func renderedSummary() throws {
        let summary = try load(Self.full).renderedSummary()
        let lines = summary.split(separator: "\n").map(String.init)
        #expect(lines.count == 24)
        #expect(lines.contains("agent_id: web-01"))
        #expect(lines.contains(#"labels: env="prod", service="checkout", version="1.4.0""#))
        #expect(lines.contains("endpoints: [hub-a.internal:7443, 10.0.0.7:7443, [::1]:7444]"))
        #expect(lines.contains("tls.key: /etc/vigil/agent.key (contents not shown)"))
        #expect(lines.contains("ingest.mode: 0600"))
        #expect(lines.contains("ingest.max_frame_bytes: 2097152 (2 MiB)"))
        #expect(lines.contains("buffer.when_full: reject_new"))
        #expect(lines.contains("sampling.interval: 1s"))
        #expect(lines.contains("sampling.listen_ports: [8080, 8443]"))
        #expect(lines.contains("shipping.backoff_base: 250ms"))
        #expect(lines.contains("shipping.backoff_cap: 1m"))
        #expect(lines.contains("shutdown.drain_timeout: 15s"))

        let defaults = try load(Self.minimal).renderedSummary()
        #expect(defaults.contains("sampling.devices: [] (all whole disks)\n"))
        #expect(defaults.contains("buffer.max_bytes: 1073741824 (1 GiB)\n"))
    }

    @Test("Durations, sizes and modes parse only in their documented forms")
    func valueSyntax() {
        #expect(ConfigurationValue.duration("500ms") == .milliseconds(500))
        #expect(ConfigurationValue.duration("10s") == .seconds(10))
        #expect(ConfigurationValue.duration("5m") == .seconds(300))
        #expect(ConfigurationValue.duration("4h") == .seconds(14_400))
        #expect(ConfigurationValue.duration("90d") == .seconds(7_776_000))
        for bad in ["", "10", "1.5s", "-1s", "10 s", "s", "10S", "1w", "9999999999999d"] {
            #expect(ConfigurationValue.duration(bad) == nil, "\(bad)")
        }
        #expect(ConfigurationValue.size("65536") == 65_536)
        #expect(ConfigurationValue.size("64KiB") == 65_536)
        #expect(ConfigurationValue.size("1MiB") == 1_048_576)
        #expect(ConfigurationValue.size("1GiB") == 1_073_741_824)
        for bad in ["", "1MB", "1 MiB", "-1", "1.5MiB", "999999999999999999GiB"] {
            #expect(ConfigurationValue.size(bad) == nil, "\(bad)")
        }
        #expect(ConfigurationValue.fileMode("0660") == 0o660)
        #expect(ConfigurationValue.fileMode("600") == 0o600)
        #expect(ConfigurationValue.fileMode("0o660") == nil)
        #expect(ConfigurationValue.render(.milliseconds(1500)) == "1500ms")
        #expect(ConfigurationValue.render(.seconds(86_400 * 90)) == "90d")
        #expect(ConfigurationValue.isValidAgentID("a" + String(repeating: "b", count: 62)))
        #expect(!ConfigurationValue.isValidAgentID("a" + String(repeating: "b", count: 63)))
        #expect(!ConfigurationValue.isValidAgentID("web 01"))
    }

    @Test("Endpoints accept names, IPv4 and bracketed IPv6, and nothing else")
    func endpointSyntax() {
        typealias Endpoint = AgentConfiguration.Endpoint
        #expect(Endpoint(parsing: "hub.internal:7443") == Endpoint(host: "hub.internal", port: 7443))
        #expect(Endpoint(parsing: "192.0.2.1:1") == Endpoint(host: "192.0.2.1", port: 1))
        #expect(Endpoint(parsing: "[::1]:65535") == Endpoint(host: "::1", port: 65535))
        #expect(Endpoint(parsing: "[fe80::1%eth0]:7443") == Endpoint(host: "fe80::1%eth0", port: 7443))
        for bad in [
            "hub", "hub:", ":7443", "hub:0", "hub:65536", "hub:+1", "[::1]", "[::1]7443", "[]:1", "h b:1", "::1:7443",
        ] {
            #expect(Endpoint(parsing: bad) == nil, "\(bad)")
        }
    }
}
