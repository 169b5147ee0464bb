import Foundation
import Testing
import VigilTestSupport

/// `vigil-agent status --check` against the built agent and hub, as a probe runs it: 0 when the agent runs
/// and reaches a hub, 2 when it has not reached one for longer than `--hub-silence`, 1 when it is not running.
@Suite("Agent status check", .serialized)
struct AgentStatusCheckTests {
    static func check(_ fleet: Fleet, _ n: Int, _ arguments: [String] = []) throws -> CommandResult {
        try runCommand(
            [
                Daemon.binaryDirectory.appendingPathComponent("vigil-agent").path, "status", "--check", "--config",
                "\(fleet.directory)/agent-\(n).yaml",
            ] + arguments, mergingErrors: true)
    }

    @Test("0 while connected; 2 once the hub is gone longer than --hub-silence; 1 after kill -9; bad flags named")
    func probe() async throws {
        let fleet = try Fleet(name: "statuscheck")
        defer { fleet.stop() }
        // Before the agent ever ran: no status document.
        try fleet.configureAgent(1)
        let none = try Self.check(fleet, 1)
        #expect(none.status == 1, "\(none.text)")
        #expect(none.text.contains("no agent database"), "\(none.text)")
        try fleet.startHub()
        try fleet.startAgent(1)
        #expect(
            await eventually(30) {
                ((try? Self.statusJSON(fleet, 1))?["shipper"] as? [String: Any])?["connected_endpoint"] != nil
            }, "the agent never connected")
        // Past the start-up grace (1 s here), so only the connection can pass the check.
        try await Task.sleep(for: .seconds(1.5))
        let healthy = try Self.check(fleet, 1, ["--hub-silence", "1s"])
        #expect(healthy.status == 0 && healthy.text.isEmpty, "connected, yet: \(healthy.text)")
        try Self.expectSnakeCaseStatus(fleet, 1)
        // The hub dies: within the silence allowed the check passes, past it the check fails naming why.
        fleet.killHub()
        #expect(await eventually(30) { (try? Self.check(fleet, 1, ["--hub-silence", "1s"]).status) == 2 })
        let silent = try Self.check(fleet, 1, ["--hub-silence", "1s"])
        #expect(silent.text.contains("web-01: no hub reached for"), "\(silent.text)")
        #expect(try Self.check(fleet, 1, ["--hub-silence", "10m"]).status == 0)
        #expect(
            try Self.check(fleet, 1, ["--hub-silence", "1s", "--running-only"]).status == 0,
            "the hub is not its concern")
        let bad = try Self.check(fleet, 1, ["--hub-silence", "soon"])
        #expect(bad.status != 0 && bad.text.contains("--hub-silence") && bad.text.contains("soon"), "\(bad.text)")
        // The agent dies: its last status goes stale, and the check says it is not running.
        fleet.agent(1)?.kill9()
        #expect(await eventually(30) { (try? Self.check(fleet, 1, ["--hub-silence", "10m"]).status) == 1 })
        #expect(try Self.check(fleet, 1).text.contains("web-01: not running"))
        #expect(try Self.check(fleet, 1, ["--running-only"]).status == 1)
    }

    /// The agent's `status --json`.
    static func statusJSON(_ fleet: Fleet, _ n: Int) throws -> [String: Any] {
        let result = try runCommand([
            Daemon.binaryDirectory.appendingPathComponent("vigil-agent").path, "status", "--json", "--config",
            "\(fleet.directory)/agent-\(n).yaml",
        ])
        return try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
    }

    /// `status --json` uses the hub's convention (snake_case keys), and docs/json.md names every key.
    static func expectSnakeCaseStatus(_ fleet: Fleet, _ n: Int) throws {
        let object = try statusJSON(fleet, n)
        let documented = try String(
            contentsOfFile: TestCertificates.root.appendingPathComponent("docs/json.md").path, encoding: .utf8)
        var keys: [String] = []
        func walk(_ value: Any, _ path: String) {
            guard let map = value as? [String: Any] else { return }
            for (key, child) in map {
                keys.append(key)
                // The reason and code maps' keys are data (reasons), not schema.
                if key != "rejected" && key != "rejects" { walk(child, path + key + ".") }
            }
        }
        walk(object, "")
        #expect(keys.count > 25, "too few keys: \(keys)")
        for key in keys {
            #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "not snake_case: \(key)")
            #expect(documented.contains(key), "docs/json.md does not name \(key)")
        }
        #expect(keys.contains("connected_endpoint"), "\(keys)")
    }
}
