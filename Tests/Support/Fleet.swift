import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A hub and agents run from the built binaries in one temp directory, on fixed free loopback ports
/// (so a restarted hub comes back where the agents expect it). Used by EndToEndTests and the
/// reliability scenarios; every process's resident memory is sampled on request and its peak kept
/// across restarts.
public final class Fleet: @unchecked Sendable {
    /// The temp directory holding configs, databases, sockets and logs.
    public let directory: String
    /// The directory of the test certificates.
    public let certificates: String
    /// The hub's agent port.
    public let listenPort: Int
    /// The hub's admin (HTTP) port.
    public let adminPort: Int
    private let state = Mutex(State())

    struct State {
        var hub: Daemon?
        var agents: [Int: Daemon] = [:]
        var memory: [String: MemoryFigures] = [:]
        var hubDatabase = ""
        var agentDatabases: [Int: String] = [:]
        var postgres: (server: PostgresServer, database: String)?
        var replicas: [String: (config: Replica, daemon: Daemon?)] = [:]
        var snapshots = 0
    }

    /// A second hub process of the fleet on the same store (a PostgreSQL one), with its own ports.
    public struct Replica: Sendable {
        /// Its `hub_id`.
        public var name: String
        /// Its agent port.
        public var listenPort: Int
        /// Its admin (HTTP) port.
        public var adminPort: Int
    }

    /// Peak and last resident memory of one daemon (over all its restarts), in bytes.
    public struct MemoryFigures: Sendable, Hashable, Codable {
        /// The highest resident set seen (the kernel's `VmHWM` of each process, the maximum over restarts).
        public var peak = 0
        /// The resident set at the last sample.
        public var last = 0
        /// Samples taken.
        public var samples = 0
    }

    /// Creates the directory and the hub's config; `hubSettings` are extra top-level YAML lines, and `store`
    /// replaces the SQLite store in the directory (a YAML flow mapping, for example a PostgreSQL one).
    /// `adminHost` is the admin address's host (loopback unless a test needs it reachable from the network).
    public init(
        name: String, hubSettings: String = "", listenPort: Int? = nil, store: String? = nil,
        adminHost: String = "127.0.0.1"
    ) throws {
        // The fleet's daemons are killed mid-conversation on purpose; a write to one that is gone must
        // fail in the writing test, not end the test process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        certificates = try TestCertificates.directory()
        directory = try makeTemporaryDirectory("fleet-\(name)")
        let port = try listenPort ?? Self.freePort()
        self.listenPort = port
        adminPort = try Self.freePort()
        state.withLock { $0.hubDatabase = "\(directory)/hub.db" }
        try """
        listen: "127.0.0.1:\(port)"
        admin: "\(adminHost):\(adminPort)"
        tls: { ca: \(certificates)/ca.pem, cert: \(certificates)/hub.pem, key: \(certificates)/hub.key }
        store: \(store ?? "{ kind: sqlite, path: \(directory)/hub.db }")
        \(hubSettings)
        """.write(toFile: "\(directory)/hub.yaml", atomically: true, encoding: .utf8)
    }

    /// The ingest socket of agent `n`.
    public func socket(_ n: Int) -> String { "\(directory)/agent-\(n).sock" }
    /// The buffer database of agent `n` (`agent-n.db` in the directory unless ``setAgentDatabase(_:_:)`` moved it).
    public func agentDatabase(_ n: Int) -> String {
        state.withLock { $0.agentDatabases[n] } ?? "\(directory)/agent-\(n).db"
    }
    /// Points agent `n`'s database readers at `path` (after its config was written to keep its buffer there).
    public func setAgentDatabase(_ n: Int, _ path: String) { state.withLock { $0.agentDatabases[n] = path } }
    /// The hub process, if started.
    public var hub: Daemon? { state.withLock { $0.hub } }
    /// The hub's store (`hub.db` in the directory unless ``setHubDatabase(_:)`` moved it).
    public var hubDatabase: String { state.withLock { $0.hubDatabase } }
    /// Points the store readers at `path` (after the hub's config was rewritten to store there).
    public func setHubDatabase(_ path: String) { state.withLock { $0.hubDatabase = path } }
    /// Agent `n`'s process, if started.
    public func agent(_ n: Int) -> Daemon? { state.withLock { $0.agents[n] } }

    /// Starts the hub (`environment` added to the test's own) and waits until it listens.
    public func startHub(environment: [String: String] = [:]) throws {
        try? FileManager.default.removeItem(atPath: "\(directory)/hub.ports")
        let hub = try Daemon(
            "vigil-hub", ["serve", "--config", "\(directory)/hub.yaml", "--ports-file", "\(directory)/hub.ports"],
            log: "\(directory)/hub.log", environment: environment)
        state.withLock { $0.hub = hub }
        guard Daemon.waitForFile("\(directory)/hub.ports") else { throw TestFailure("hub did not start: \(hub.log)") }
    }

    /// Writes agent `n`'s config (once): agent `web-0n`, by default with its own certificate from the
    /// test CA and the hub's port; `settings` replaces top-level sections (key → YAML flow value).
    public func configureAgent(
        _ n: Int, certificateOf certificateAgent: String? = nil, certificateDirectory: String? = nil,
        hubPort: Int? = nil, settings: [String: String] = [:]
    ) throws {
        let certs = certificateDirectory ?? certificates
        let owner = certificateAgent ?? "web-0\(n)"
        var sections: [(String, String)] = [
            ("agent_id", "web-0\(n)"),
            ("labels", "{ service: checkout, version: 1.4.0 }"),
            ("endpoints", "[\"127.0.0.1:\(hubPort ?? listenPort)\"]"),
            (
                "tls",
                "{ ca: \(certificates)/ca.pem, cert: \(certs)/agent-\(owner).pem, key: \(certs)/agent-\(owner).key }"
            ),
            ("ingest", "{ socket: \(socket(n)) }"),
            ("buffer", "{ path: \(agentDatabase(n)) }"),
            ("sampling", "{ interval: 5s }"),
            ("shipping", "{ backoff_base: 20ms, backoff_cap: 500ms }"),
        ]
        for (key, value) in settings {
            if let index = sections.firstIndex(where: { $0.0 == key }) {
                sections[index].1 = value
            } else {
                sections.append((key, value))
            }
        }
        let text = sections.map { "\($0.0): \($0.1)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: "\(directory)/agent-\(n).yaml", atomically: true, encoding: .utf8)
    }

    /// Starts agent `n` (writing its default config first if there is none) and waits for its socket.
    public func startAgent(
        _ n: Int, certificateOf certificateAgent: String? = nil, certificateDirectory: String? = nil,
        environment: [String: String] = [:]
    ) throws {
        let config = "\(directory)/agent-\(n).yaml"
        if !FileManager.default.fileExists(atPath: config) {
            try configureAgent(n, certificateOf: certificateAgent, certificateDirectory: certificateDirectory)
        }
        try? FileManager.default.removeItem(atPath: socket(n))
        let agent = try Daemon(
            "vigil-agent", ["run", "--config", config], log: "\(directory)/agent-\(n).log", environment: environment)
        state.withLock { $0.agents[n] = agent }
        guard Daemon.waitForFile(socket(n)) else { throw TestFailure("agent \(n) did not start: \(agent.log)") }
    }

    /// `kill -9` of agent `n`, then a restart on the same database.
    public func restartAgent(_ n: Int, environment: [String: String] = [:]) throws {
        sampleMemory()
        agent(n)?.kill9()
        usleep(200_000)
        try startAgent(n, environment: environment)
    }

    /// `kill -9` of the hub, then a restart on the same database.
    public func restartHub() throws {
        sampleMemory()
        hub?.kill9()
        usleep(500_000)
        try startHub()
    }

    /// `kill -9` of the hub, without a restart.
    public func killHub() {
        state.withLock { $0.hub }?.kill9()
    }

    /// Stops everything (SIGTERM) and removes the directory unless `VIGIL_KEEP_TEST_DIRS` is set.
    public func stop() {
        let (hub, agents, replicas) = state.withLock {
            ($0.hub, Array($0.agents.values), $0.replicas.values.compactMap(\.daemon))
        }
        for agent in agents { agent.terminate() }
        hub?.terminate()
        for replica in replicas { replica.terminate() }
        if ProcessInfo.processInfo.environment["VIGIL_KEEP_TEST_DIRS"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Samples the resident memory of every running daemon.
    public func sampleMemory() {
        state.withLock { s in
            var running: [(String, Daemon)] = s.agents.map { ("agent-\($0.key)", $0.value) }
            if let hub = s.hub { running.append(("hub", hub)) }
            for (name, replica) in s.replicas { if let daemon = replica.daemon { running.append((name, daemon)) } }
            for (name, daemon) in running {
                guard let figures = daemon.memory else { continue }
                var entry = s.memory[name, default: MemoryFigures()]
                entry.peak = max(entry.peak, figures.peak)
                entry.last = figures.rss
                entry.samples += 1
                s.memory[name] = entry
            }
        }
    }

    /// Memory figures by daemon name (`hub`, `agent-1`, …).
    public var memory: [String: MemoryFigures] { state.withLock { $0.memory } }

    private func open() throws -> DatabaseQueue { try Self.readOnly(try hubSnapshot()) }

    /// Says the fleet's hubs store in `database` on `server` (the fleet was made with that `store`): the checks
    /// then read PostgreSQL.
    public func usePostgres(_ server: PostgresServer, database: String) {
        state.withLock { $0.postgres = (server, database) }
    }

    /// The PostgreSQL store the hubs share, if they do.
    public var postgres: (server: PostgresServer, database: String)? { state.withLock { $0.postgres } }

    /// A SQLite file with the hub store's records as of now, for the checks that read SQL: the store itself for a
    /// SQLite hub, a fresh copy (``PostgresServer/snapshot(_:to:)``) for a PostgreSQL one.
    public func hubSnapshot() throws -> String {
        let (postgres, number) = state.withLock { s in
            s.snapshots += 1
            return (s.postgres, s.snapshots)
        }
        guard let postgres else { return hubDatabase }
        let path = "\(directory)/hub-snapshot-\(number).db"
        try? FileManager.default.removeItem(atPath: "\(directory)/hub-snapshot-\(number - 1).db")
        try postgres.server.snapshot(postgres.database, to: path)
        return path
    }

    /// Writes the config of replica `name`: the hub's, with its own `hub_id` and ports (and `store`, a YAML flow
    /// mapping, if given: a replica that reaches the database another way).
    public func addReplica(_ name: String, store: String? = nil) throws -> Replica {
        let replica = Replica(name: name, listenPort: try Self.freePort(), adminPort: try Self.freePort())
        let base = try String(contentsOfFile: "\(directory)/hub.yaml", encoding: .utf8)
        let kept = base.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.hasPrefix("listen:") && !$0.hasPrefix("admin:") && !$0.hasPrefix("hub_id:")
                && !(store != nil && $0.hasPrefix("store:"))
        }
        try
            ([
                "listen: \"127.0.0.1:\(replica.listenPort)\"", "admin: \"127.0.0.1:\(replica.adminPort)\"",
                "hub_id: \(name)",
            ] + (store.map { ["store: \($0)"] } ?? []) + kept.map(String.init)).joined(separator: "\n").write(
                toFile: "\(directory)/\(name).yaml", atomically: true, encoding: .utf8)
        state.withLock { $0.replicas[name] = (replica, nil) }
        return replica
    }

    /// Starts replica `name` and waits until it listens.
    public func startReplica(_ name: String) throws {
        try? FileManager.default.removeItem(atPath: "\(directory)/\(name).ports")
        let daemon = try Daemon(
            "vigil-hub",
            ["serve", "--config", "\(directory)/\(name).yaml", "--ports-file", "\(directory)/\(name).ports"],
            log: "\(directory)/\(name).log")
        state.withLock { $0.replicas[name]?.daemon = daemon }
        guard Daemon.waitForFile("\(directory)/\(name).ports") else {
            throw TestFailure("replica \(name) did not start: \(daemon.log)")
        }
    }

    /// Replica `name`'s ports, if it was added.
    public func replicaConfig(_ name: String) -> Replica? { state.withLock { $0.replicas[name]?.config } }

    /// Replica `name`'s process, if started.
    public func replica(_ name: String) -> Daemon? { state.withLock { $0.replicas[name]?.daemon } }

    /// The SQLite database at `path`, opened read-only beside the daemon that writes it (waiting up to 10 s for
    /// its locks): how every check reads a hub's or an agent's database.
    public static func readOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Events in the hub's store.
    public func hubEventCount() throws -> Int {
        if let postgres {
            return Int(try postgres.server.psql(postgres.database, "SELECT count(*) FROM events")) ?? 0
        }
        return try open().read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
    }

    /// How often each event id is stored in the hub.
    public func hubStoredEventIDs() throws -> [Data: Int] {
        if let postgres {
            var stored: [Data: Int] = [:]
            for row in try postgres.server.rows(
                postgres.database, "SELECT encode(event_id, 'hex'), count(*) FROM events GROUP BY event_id")
            {
                stored[Data(hex: row[0])] = Int(row[1]) ?? 0
            }
            return stored
        }
        return try open().read { db in
            var stored: [Data: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT event_id, count(*) FROM events GROUP BY event_id")
            while let row = try rows.next() { stored[row[0]] = row[1] }
            return stored
        }
    }

    /// Store-level consistency figures.
    public struct Check: Sendable {
        /// Events stored.
        public var events: Int
        /// Distinct event ids stored.
        public var distinctIDs: Int
        /// `(agent, seq)` pairs stored more than once.
        public var repeatedSeqs: Int
        /// Events whose id does not start with `phantomPrefix`.
        public var phantoms: Int
        /// Gaps the hub recorded.
        public var gaps: Int
    }

    /// Reads the consistency figures; events whose id does not begin with `prefix` count as phantoms.
    public func hubCheck(prefix: UInt8 = 0xE3) throws -> Check {
        try open().read { db in
            Check(
                events: try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? -1,
                distinctIDs: try Int.fetchOne(db, sql: "SELECT count(DISTINCT event_id) FROM events") ?? -1,
                repeatedSeqs: try Int.fetchOne(
                    db,
                    sql:
                        "SELECT count(*) FROM (SELECT agent_id, seq FROM events GROUP BY agent_id, seq HAVING count(*) > 1)"
                ) ?? -1,
                phantoms: try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM events WHERE substr(event_id, 1, 1) != ?",
                    arguments: [Data([prefix])]) ?? -1,
                gaps: try Int.fetchOne(db, sql: "SELECT coalesce(sum(gaps), 0) FROM streams") ?? -1
            )
        }
    }

    /// A free loopback TCP port.
    public static func freePort() throws -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestFailure("no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension Fleet {
    /// Seconds between the oldest and the newest stored event time.
    public func hubEventTimeSpanSeconds() throws -> Double {
        try open().read { db in
            let span = try Int64.fetchOne(db, sql: "SELECT max(time_unix_nano) - min(time_unix_nano) FROM events") ?? 0
            return Double(span) / 1e9
        }
    }
}
