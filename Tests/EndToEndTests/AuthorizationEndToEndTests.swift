import Foundation
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A verdict cannot be swayed by an agent that may not speak for the service: the built hub and agents, the
/// demo's canary (1.5.0, judged ROLLBACK), and web-04 — whose certificate names no service, but whom the hub's
/// policy allows only `search` — flooding healthy-looking checkout 1.5.0 events over the judge window.
@Suite("Authorization end to end", .serialized, .timeLimit(.minutes(4)))
struct AuthorizationEndToEndTests {
    static func get(_ base: String, _ path: String) async -> [String: Any]? {
        guard let url = URL(string: base + path), let (data, _) = try? await URLSession.shared.data(from: url) else {
            return nil
        }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    static func versions(_ base: String) async -> [[String: Any]] {
        await get(base, "/v1/versions?service=checkout&window=1h")?["versions"] as? [[String: Any]] ?? []
    }

    static func canary(_ base: String) async -> [String: Any]? {
        await versions(base).first { $0["version"] as? String == "1.5.0" }
    }

    static func decision(_ version: [String: Any]?) -> String? {
        (version?["verdict"] as? [String: Any])?["decision"] as? String
    }

    @Test("a canary judged ROLLBACK stays ROLLBACK while an unauthorized agent floods healthy events for it")
    func verdictCannotBeSwayed() async throws {
        let fleet = try Fleet(
            name: "authorization",
            hubSettings: """
                evaluation_interval: 1s
                judge: { window: 1h }
                authorization:
                  default: allow
                  agents: [{ match: web-04, services: [search] }]
                """)
        defer { fleet.stop() }
        try fleet.startHub()
        let versions = [1: "1.4.0", 2: "1.4.0", 3: "1.5.0"]
        for (n, version) in versions.sorted(by: { $0.key < $1.key }) {
            try fleet.configureAgent(n, settings: ["labels": "{ service: checkout, version: \"\(version)\" }"])
            try fleet.startAgent(n)
        }
        try fleet.configureAgent(4, settings: ["labels": "{ service: search, version: 2.0.0 }"])
        try fleet.startAgent(4)
        try await onThread {
            try TestCertificates.run(
                [
                    "python3", TestCertificates.root.appendingPathComponent("deploy/demo-traffic.py").path,
                    "--seconds", "2", "--rate", "100", "--backfill-minutes", "90",
                ] + versions.sorted(by: { $0.key < $1.key }).map { "\(fleet.socket($0.key)):\($0.value)" })
        }
        let base = "http://127.0.0.1:\(fleet.adminPort)"
        let judged = await eventually(90) { Self.decision(await Self.canary(base)) == "ROLLBACK" }
        #expect(judged, "the demo's canary is judged ROLLBACK")
        let before = await Self.canary(base)
        let canaryEvents = (before?["events"] as? Int) ?? 0

        // 20,000 fast, successful checkout 1.5.0 requests over the last 40 minutes: ten times the canary's own.
        // web-04's agent takes them (its certificate names no service) and ships them; the hub refuses them.
        let flood = 20_000
        let script = """
            import json, socket, sys, time
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(sys.argv[1])
            reader = conn.makefile("rb")
            now = time.time_ns()
            ok = 0
            for start in range(0, \(flood), 500):
                lines = [json.dumps({"service": "checkout", "version": "1.5.0", "name": "request", "outcome": "ok",
                                     "duration_ms": 5.0, "time_unix_nano": now - (40 * 60 - i * 0.1) * 10**9 // 1})
                         for i in range(start, start + 500)]
                conn.sendall(("\\n".join(lines) + "\\n").encode())
                ok += sum(1 for _ in lines if json.loads(reader.readline()).get("ok"))
            print(ok)
            """
        let accepted = try await onThread {
            try runCommand(["python3", "-c", script, fleet.socket(4)]).text.trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
        #expect(accepted == "\(flood)", "web-04's agent took the flood in (it does not know the hub's policy)")

        let refusedAll = await eventually(60) {
            let status = await Self.get(base, "/v1/status")
            let byAgent = (status?["authorization"] as? [String: Any])?["refused_by_agent"] as? [String: [String: Int]]
            return byAgent?["web-04"]?["policy"] == flood
        }
        #expect(refusedAll, "the hub refused and counted every flooded record")
        // Two more evaluations after the last refusal: the canary is judged on what was stored.
        try await Task.sleep(for: .seconds(3))
        let after = await Self.canary(base)
        #expect(Self.decision(after) == "ROLLBACK", "\(after ?? [:])")
        #expect((after?["events"] as? Int ?? 0) < canaryEvents + flood / 2, "none of the flood is counted")
        let hosts = after?["hosts"] as? [String] ?? []
        #expect(!hosts.contains("web-04"), "\(hosts)")

        let ctl = try await onThread {
            try runCommand(
                ["agents"], executable: Daemon.binaryDirectory.appendingPathComponent("vigilctl"),
                environment: ["VIGIL_HUB": base], mergingErrors: true)
        }
        let line = ctl.text.split(separator: "\n").first { $0.hasPrefix("web-04") } ?? ""
        #expect(line.contains("\(flood) (policy \(flood); last checkout)"), "\(ctl.text)")
    }
}
