import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

/// Two hub processes (built binaries) on one PostgreSQL, three agents that list both: the events of all three
/// arrive exactly once while one hub is killed with -9 mid-stream and its agents fail over to the other.
@Suite("Two hubs on PostgreSQL", .serialized)
struct TwoHubsPostgresTests {
    static let total = 30_000

    @Test("30,000 events through three agents and two hubs on one PostgreSQL, one hub killed: each stored once")
    func twoHubsOneKilled() async throws {
        let server = try PostgresServer.start()
        let database = try server.database("e2e")
        let store = "{ kind: postgres, url: \"\(server.url(database))\" }"
        let fleet = try Fleet(name: "two-hubs", hubSettings: "hub_id: hub-a", store: store)
        defer { fleet.stop() }
        try fleet.startHub()
        // The second replica: the same store, its own ports.
        let portB = try Fleet.freePort()
        let adminB = try Fleet.freePort()
        try """
        listen: "127.0.0.1:\(portB)"
        admin: "127.0.0.1:\(adminB)"
        hub_id: hub-b
        tls: { ca: \(fleet.certificates)/ca.pem, cert: \(fleet.certificates)/hub.pem, key: \(fleet.certificates)/hub.key }
        store: \(store)
        """.write(toFile: "\(fleet.directory)/hub-b.yaml", atomically: true, encoding: .utf8)
        let hubB = try Daemon(
            "vigil-hub",
            ["serve", "--config", "\(fleet.directory)/hub-b.yaml", "--ports-file", "\(fleet.directory)/hub-b.ports"],
            log: "\(fleet.directory)/hub-b.log")
        defer { _ = hubB.terminate() }
        #expect(Daemon.waitForFile("\(fleet.directory)/hub-b.ports"), "hub b did not start: \(hubB.log)")
        // Agents 1 and 2 prefer hub a, agent 3 hub b: both replicas take traffic until a dies.
        for n in 1...3 {
            let endpoints = [fleet.listenPort, portB].map { "\"127.0.0.1:\($0)\"" }
            try fleet.configureAgent(
                n, settings: ["endpoints": "[\((n == 3 ? endpoints.reversed() : endpoints).joined(separator: ", "))]"])
            try fleet.startAgent(n)
        }
        let progress = Progress()
        let perAgent = Self.total / 3
        let feeders = (1...3).map { n in
            let socket = fleet.socket(n)
            return Task {
                try await onThread {
                    try PipelineExactlyOnceTests.feed(agent: n, count: perAgent, socket: socket, progress: progress)
                }
            }
        }
        #expect(await eventually(120) { progress.value.load(ordering: .relaxed) >= Self.total / 3 })
        fleet.hub?.kill9()
        for feeder in feeders { try await feeder.value }
        #expect(progress.value.load(ordering: .relaxed) == Self.total)
        let arrived = await eventually(180) {
            (try? server.psql(database, "SELECT count(*) FROM events")) == "\(Self.total)"
        }
        let figures = try server.psql(
            database,
            """
            SELECT count(*), count(DISTINCT event_id),
                   (SELECT count(*) FROM (SELECT agent_id, stream, seq FROM events GROUP BY 1, 2, 3
                                          HAVING count(*) > 1) repeated),
                   count(*) FILTER (WHERE get_byte(event_id, 0) != 227),
                   (SELECT coalesce(sum(gaps), 0) FROM streams)
            FROM events
            """)
        #expect(arrived, "PostgreSQL holds \(figures)")
        // events | distinct ids | repeated (agent, stream, seq) | phantoms | gaps
        #expect(figures == "\(Self.total)|\(Self.total)|0|0|0")
        // Hub b served agents too, and holds their connections now.
        let connected = try server.psql(database, "SELECT count(*) FROM agents WHERE connected_hub = 'hub-b'")
        #expect(connected == "3", "agents connected through hub b: \(connected)")
        // Hub b took the leader lock when hub a died, and `vigilctl status` on it lists both replicas.
        let leads = await eventually(20) {
            (try? server.psql(database, "SELECT leader FROM replicas WHERE hub_id = 'hub-b'")) == "t"
        }
        #expect(leads, "hub b did not take over the evaluations")
        let status = try PowerCut.runTool(
            Daemon.binaryDirectory.appendingPathComponent("vigilctl").path,
            ["status", "--hub", "http://127.0.0.1:\(adminB)"]
        ).output
        #expect(status.contains("hub-b leader"), "\(status)")
        #expect(status.contains("replica") && status.contains("hub-a"), "\(status)")
    }

}
