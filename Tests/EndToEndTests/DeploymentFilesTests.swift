import Foundation
import Testing
import VigilTestSupport

/// What `deploy/` hands an operator, checked with the tools they would use: the systemd units with
/// `systemd-analyze verify` and `security --offline=yes`, the example configurations with the built
/// binaries' `check-config`, and each unit's command line against them.
@Suite("Deployment files", .timeLimit(.minutes(3)))
struct DeploymentFilesTests {
    static let units = ["vigil-agent", "vigil-hub"]

    /// `unit` from deploy/systemd with `/usr/bin/` pointed at the built binaries (verify checks that each
    /// command exists), written into `directory`; returns its path.
    static func installable(_ unit: String, text: String? = nil, in directory: String) throws -> String {
        let source = TestCertificates.root.appendingPathComponent("deploy/systemd/\(unit).service").path
        let original = try text ?? String(contentsOfFile: source, encoding: .utf8)
        let path = "\(directory)/\(unit).service"
        try original.replacingOccurrences(of: "/usr/bin/", with: Daemon.binaryDirectory.path + "/")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `systemd-analyze security --offline=yes` of `path`: the overall exposure and its verdict word.
    static func exposure(_ path: String) throws -> (score: Double, verdict: String, output: String) {
        let result = try runCommand(
            ["systemd-analyze", "security", "--offline=yes", "--no-pager", path], mergingErrors: true)
        // "→ Overall exposure level for vigil-agent.service: 1.2 OK 🙂"
        guard let line = result.text.split(separator: "\n").first(where: { $0.contains("Overall exposure level") }),
            let colon = line.lastIndex(of: ":")
        else { throw TestFailure("no exposure line in: \(result.text)") }
        let words = line[line.index(after: colon)...].split(separator: " ")
        guard words.count >= 2, let score = Double(words[0]) else { throw TestFailure("cannot read: \(line)") }
        return (score, String(words[1]), result.text)
    }

    @Test("each unit passes systemd-analyze verify and is hardened to an exposure of at most 2.0 (OK)")
    func systemdUnits() throws {
        let directory = try makeTemporaryDirectory("units")
        for unit in Self.units {
            let path = try Self.installable(unit, in: directory)
            let verify = try runCommand(["systemd-analyze", "verify", path], mergingErrors: true)
            #expect(verify.status == 0, "\(unit): \(verify.text)")
            #expect(!verify.text.contains(unit), "\(unit) has warnings: \(verify.text)")
            let (score, verdict, output) = try Self.exposure(path)
            #expect(score <= 2.0 && verdict == "OK", "\(unit): exposure \(score) \(verdict)\n\(output)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for setting in [
                "User=vigil", "Group=vigil", "StateDirectory=vigil", "ProtectSystem=strict", "ProtectHome=yes",
                "PrivateTmp=yes", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
                "Restart=on-failure",
            ] {
                #expect(text.contains(setting), "\(unit) lacks \(setting)")
            }
        }
        // The agent's socket directory, and a stop that outwaits its drain (shutdown.drain_timeout, 5 s).
        let agent = try String(contentsOfFile: "\(directory)/vigil-agent.service", encoding: .utf8)
        #expect(agent.contains("RuntimeDirectory=vigil\n"))
        let stop = agent.split(separator: "\n").first { $0.hasPrefix("TimeoutStopSec=") }
        #expect(stop.flatMap { Int($0.dropFirst("TimeoutStopSec=".count).dropLast()) }.map { $0 > 5 } == true)
    }

    @Test("the checks can fail: a broken unit fails verify, an unhardened one scores over 2.0")
    func checksCanFail() throws {
        let directory = try makeTemporaryDirectory("units")
        let broken = try Self.installable(
            "vigil-agent", text: "[Service]\nExecStart=/usr/bin/vigil-nonexistent run\nRestart=sometimes\n",
            in: directory)
        #expect(try runCommand(["systemd-analyze", "verify", broken], mergingErrors: true).status != 0)
        let plain = try Self.installable(
            "vigil-hub", text: "[Service]\nExecStart=/usr/bin/vigil-hub serve\n", in: directory)
        let (score, verdict, _) = try Self.exposure(plain)
        #expect(score > 2.0 && verdict != "OK", "an unhardened unit scored \(score) \(verdict)")
    }

    /// The built binary `name`.
    static func binary(_ name: String) -> String { Daemon.binaryDirectory.appendingPathComponent(name).path }

    /// deploy/`file` (or the copy at `source`) with `/etc/vigil/` pointed at a directory holding what it
    /// names there (certificates from deploy/certs.sh for agent web-01 and the hub), written beside them;
    /// returns its path.
    static func exampleWithFiles(_ file: String, from source: String? = nil) throws -> String {
        let directory = try makeTemporaryDirectory("etc-vigil")
        try TestCertificates.make(into: directory, arguments: ["--agent", "web-01"])
        let manager = FileManager.default
        try manager.copyItem(atPath: "\(directory)/agent-web-01.pem", toPath: "\(directory)/agent.pem")
        try manager.copyItem(atPath: "\(directory)/agent-web-01.key", toPath: "\(directory)/agent.key")
        let text = try String(
            contentsOfFile: source ?? TestCertificates.root.appendingPathComponent("deploy/\(file)").path,
            encoding: .utf8)
        let path = "\(directory)/\(file)"
        try text.replacingOccurrences(of: "/etc/vigil/", with: directory + "/")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("deploy/agent.yaml and deploy/hub.yaml pass check-config and name every key check-config prints")
    func exampleConfigurations() throws {
        for (binary, file) in [("vigil-agent", "agent.yaml"), ("vigil-hub", "hub.yaml")] {
            let path = TestCertificates.root.appendingPathComponent("deploy/\(file)").path
            let checked = try runCommand(
                [Self.binary(binary), "check-config", try Self.exampleWithFiles(file)], mergingErrors: true)
            #expect(checked.status == 0, "\(file): \(checked.text)")
            // Every key the binary knows (check-config prints each with its value) is in the example, set or
            // shown in a comment.
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let keys = checked.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
                $0.split(separator: ":", maxSplits: 1).first.map(String.init)
            }
            #expect(keys.count > 20, "\(file): check-config printed too few keys: \(checked.text)")
            for key in keys {
                let leaf = key.split(separator: ".").last.map(String.init) ?? key
                #expect(text.contains("\(leaf):"), "\(file) does not mention \(key)")
            }
        }
    }

    @Test("each unit's ExecStart is its binary's subcommand on /etc/vigil's file, which loads as the example")
    func unitsStartOnTheExamples() throws {
        for (unit, file, sub) in [("vigil-agent", "agent.yaml", "run"), ("vigil-hub", "hub.yaml", "serve")] {
            let text = try String(
                contentsOfFile: TestCertificates.root.appendingPathComponent("deploy/systemd/\(unit).service").path,
                encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            let words = line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
            #expect(words == ["/usr/bin/\(unit)", sub, "--config", "/etc/vigil/\(file)"], "\(unit): \(line)")
            // The same flags on the built binary and the example file load (check-config reads it the same way).
            let example = try Self.exampleWithFiles(file)
            let result = try runCommand([Self.binary(unit), "check-config", example], mergingErrors: true)
            #expect(result.status == 0, "\(unit): \(result.text)")
        }
    }

    @Test("the binaries take --set over the example files: check-config --effective names each source, both start")
    func overridesOnTheExamples() throws {
        let agentFile = try Self.exampleWithFiles("agent.yaml")
        let directory = URL(fileURLWithPath: agentFile).deletingLastPathComponent().path
        let effective = try runCommand(
            [
                Self.binary("vigil-agent"), "check-config", agentFile, "--set", "labels.version=2.0.0", "--set",
                "sampling.interval=5s", "--effective",
            ], mergingErrors: true)
        #expect(effective.status == 0, "\(effective.text)")
        let lines = effective.text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("labels: ") && $0.hasSuffix("# --set labels.version") })
        #expect(
            lines.contains { $0.hasPrefix("sampling.interval: 5s") && $0.hasSuffix("# --set sampling.interval") })
        #expect(lines.contains { $0.hasPrefix("agent_id: web-01") && $0.hasSuffix("# file") })
        let bad = try runCommand(
            [Self.binary("vigil-agent"), "check-config", agentFile, "--set", "buffer.when_full=later"],
            mergingErrors: true)
        #expect(bad.status == 1 && bad.text.contains("--set buffer.when_full: buffer.when_full:"), "\(bad.text)")
        // run and serve take the same flags: here they move the socket, the buffer, the ports and the store.
        let agent = try Daemon(
            "vigil-agent",
            [
                "run", "--config", agentFile, "--set", "ingest.socket=\(directory)/moved.sock", "--set",
                "buffer.path=\(directory)/moved.db",
            ], log: "\(directory)/agent.log")
        #expect(
            Daemon.waitForFile("\(directory)/moved.sock"), "the agent did not listen where --set said: \(agent.log)")
        #expect(agent.terminate() == 0)
        let hubFile = try Self.exampleWithFiles("hub.yaml")
        let hubDirectory = URL(fileURLWithPath: hubFile).deletingLastPathComponent().path
        let hub = try Daemon(
            "vigil-hub",
            [
                "serve", "--config", hubFile, "--ports-file", "\(hubDirectory)/ports", "--set", "listen=127.0.0.1:0",
                "--set", "admin=127.0.0.1:0", "--set", "store.path=\(hubDirectory)/moved-hub.db",
            ], log: "\(hubDirectory)/hub.log")
        #expect(Daemon.waitForFile("\(hubDirectory)/ports"), "the hub did not start: \(hub.log)")
        #expect(FileManager.default.fileExists(atPath: "\(hubDirectory)/moved-hub.db"))
        #expect(hub.terminate() == 0)
    }
}
