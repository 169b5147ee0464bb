import Foundation
import Synchronization

/// A throwaway PostgreSQL 15 server for the tests: made with `initdb` in a temporary directory the first time
/// a test asks for one, on a Unix socket in that directory (and on 127.0.0.1 at a free port, for tests that
/// go through TCP), and stopped with `pg_ctl stop -m immediate` when the test process exits.
///
/// - As root, `initdb` and `pg_ctl` run as the `postgres` user (PostgreSQL refuses to run as root).
/// - A server left behind by a test process that was killed is stopped by the next one (its directory names
///   the process that made it).
/// - `fsync=off`: the tests check what the hub does, not the disk; `make bench` asks for a ``durable`` server.
/// - Each test gets a database of its own from ``database(_:)``.
public final class PostgresServer: Sendable {
    /// The socket directory (a `postgres://…?host=` value).
    public let socketDirectory: String
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The superuser tests connect as (trust authentication).
    public let user = "vigil"
    /// The data directory.
    public let dataDirectory: String
    /// Whether the server syncs its WAL (`fsync=on`, as in production) or not (the tests' default).
    public let durable: Bool
    let bin: String
    private let root: String
    private let settings: [String]
    private let counter = Atomic<Int>(0)

    private static let shared = Mutex<PostgresServer?>(nil)
    /// Every server this process started, stopped when it exits.
    private static let started = Mutex<[PostgresServer]>([])

    /// The server of this test process, started on first use and shared by its tests.
    public static func start() throws -> PostgresServer {
        try shared.withLock { server in
            if let server { return server }
            let made = try dedicated()
            server = made
            return made
        }
    }

    /// A server of its own, for a test that stops and starts it, or a benchmark: `durable` keeps fsync on, and
    /// `settings` are more `-c name=value` settings (`["shared_buffers=256MB"]`).
    public static func dedicated(durable: Bool = false, settings: [String] = []) throws -> PostgresServer {
        let server = try PostgresServer(durable: durable, settings: settings)
        let first = started.withLock { list in
            list.append(server)
            return list.count == 1
        }
        if first {
            atexit {
                for server in PostgresServer.started.withLock({ $0 }) { server.stop() }
            }
        }
        return server
    }

    private init(durable: Bool, settings: [String]) throws {
        self.durable = durable
        self.settings = settings
        bin = ProcessInfo.processInfo.environment["VIGIL_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw TestFailure(
                "PostgreSQL 15 is not installed (no \(bin)/initdb): `make test` installs postgresql-15 with apt-get")
        }
        Self.stopAbandoned(bin: bin)
        root = "/tmp/vigil-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        dataDirectory = root + "/data"
        socketDirectory = root + "/sock"
        port = try Fleet.freePort()
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot {
            try Self.run("/bin/chown", ["-R", "postgres:postgres", root])
        }
        let initdb = try Self.run(
            "\(bin)/initdb", ["-D", dataDirectory, "-A", "trust", "--no-sync", "-U", user, "-E", "UTF8", "--locale=C"],
            asPostgres: asRoot)
        guard initdb.status == 0 else { throw TestFailure("initdb failed: \(initdb.output)") }
        try startServer()
    }

    /// A new, empty database; returns its name.
    public func database(_ prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(counter.add(1, ordering: .relaxed).newValue)"
        let result = try Self.run(
            "\(bin)/psql",
            [
                "-h", socketDirectory, "-p", String(port), "-U", user, "-d", "postgres", "-q", "-c",
                "CREATE DATABASE \(name)",
            ])
        guard result.status == 0 else { throw TestFailure("CREATE DATABASE \(name) failed: \(result.output)") }
        return name
    }

    /// `postgres://vigil@/DATABASE?host=SOCKET&port=PORT`: the socket URL for `store.url`.
    public func url(_ database: String) -> String {
        "postgres://\(user)@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// Runs SQL with psql in `database`; returns what it printed (unaligned, tuples only; `|` between fields and
    /// a newline between rows unless other separators are given).
    public func psql(
        _ database: String, _ sql: String, fieldSeparator: String = "|", recordSeparator: String = "\n"
    ) throws -> String {
        let result = try Self.run(
            "\(bin)/psql",
            [
                "-h", socketDirectory, "-p", String(port), "-U", user, "-d", database, "-qAt", "-F", fieldSeparator,
                "-R", recordSeparator, "-c", sql,
            ])
        guard result.status == 0 else { throw TestFailure("psql failed: \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server at once (as a crash would) and removes its files.
    public func stop() {
        _ = try? Self.run(
            "\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], asPostgres: getuid() == 0)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Stops the server (`pg_ctl stop -m immediate`: no checkpoint, as a crash) without removing its files.
    public func crash() throws {
        let result = try Self.run(
            "\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], asPostgres: getuid() == 0)
        guard result.status == 0 else { throw TestFailure("pg_ctl stop failed: \(result.output)") }
    }

    /// Starts the server again after ``crash()``.
    public func restart() throws {
        try startServer()
    }

    /// `pg_ctl start` on the socket directory and the TCP port, waiting until the server accepts connections.
    private func startServer() throws {
        let options =
            "-k \(socketDirectory) -c listen_addresses=127.0.0.1 -p \(port) -c fsync=\(durable ? "on" : "off")"
            + " -c max_connections=200" + settings.map { " -c \($0)" }.joined()
        let start = try Self.run(
            "\(bin)/pg_ctl",
            ["-D", dataDirectory, "-w", "-t", "30", "-l", root + "/server.log", "-o", options, "start"],
            asPostgres: getuid() == 0)
        guard start.status == 0 else {
            let log = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
            throw TestFailure("pg_ctl start failed: \(start.output)\n\(log)")
        }
    }

    /// Servers whose test process is gone: stopped, their directories removed.
    private static func stopAbandoned(bin: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for name in names where name.hasPrefix("vigil-pg-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[2]), kill(pid, 0) != 0 else { continue }
            _ = try? run(
                "\(bin)/pg_ctl", ["-D", "/tmp/\(name)/data", "-m", "immediate", "-w", "stop"], asPostgres: getuid() == 0
            )
            try? FileManager.default.removeItem(atPath: "/tmp/\(name)")
        }
    }

    /// Runs a command to completion, its output through a file (a pipe would be held open by the postmaster).
    /// posix_spawn and waitpid rather than Foundation's Process, which left `runuser` unreaped here; the child
    /// starts with no signal blocked (threads of the test process block some, and children inherit that).
    @discardableResult
    static func run(
        _ path: String, _ arguments: [String], asPostgres: Bool = false
    ) throws -> (
        status: Int32, output: String
    ) {
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments
        let log = "/tmp/vigil-pgcmd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ)
        guard spawned == 0 else { throw TestFailure("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // WIFEXITED / WEXITSTATUS by hand (macros do not import).
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }
}
