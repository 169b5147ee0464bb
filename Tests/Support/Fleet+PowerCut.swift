import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The power-loss injector of `Tests/Reliability/PowerCut` (`make powercut`): a daemon started with
/// ``environment(directory:)`` has its writes below `directory` held unsynced (written through, their
/// synced pre-images journaled); ``cut(_:journal:)`` kills it (SIGUSR2, whose handler sends SIGKILL)
/// and replays the journal once it is dead, so its files hold exactly what it had synced.
public enum PowerCut {
    /// `Tests/Reliability/PowerCut/build`.
    public static var buildDirectory: String {
        TestCertificates.root.appendingPathComponent("Tests/Reliability/PowerCut/build").path
    }
    /// The interposer.
    public static var library: String { "\(buildDirectory)/libpowercut.so" }
    /// The replay tool.
    public static var replayTool: String { "\(buildDirectory)/powercut-replay" }

    /// Throws unless `make powercut` has built the interposer and the replay tool.
    public static func requireBuilt() throws {
        for path in [library, replayTool] where !FileManager.default.isExecutableFile(atPath: path) {
            throw TestFailure("\(path) is missing: run `make powercut`")
        }
    }

    /// Where the undo journal of a daemon cut below `directory` lives (the interposer's default).
    public static func journal(directory: String) -> String { directory + ".undo" }

    /// The variables that start a daemon under the interposer for `directory` (created if missing),
    /// logging its syncs to `directory.powercut.log`.
    public static func environment(directory: String) throws -> [String: String] {
        try requireBuilt()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return [
            "LD_PRELOAD": library, "POWERCUT_DIR": directory, "POWERCUT_JOURNAL": journal(directory: directory),
            "POWERCUT_LOG": directory + ".powercut.log",
        ]
    }

    /// What one cut did.
    public struct Outcome: Sendable, CustomStringConvertible {
        /// Whether SIGUSR2 ended the process (false: it had to be sent SIGKILL from here).
        public var bySignal: Bool
        /// The replay tool's line (journals, restored and dropped bytes).
        public var replay: String
        /// Bytes past the synced sizes that the replay cut off.
        public var droppedBytes: Int
        /// Pre-image bytes the replay wrote back.
        public var restoredBytes: Int

        public var description: String { "\(bySignal ? "" : "(SIGUSR2 ignored, SIGKILL) ")\(replay)" }
    }

    /// Cuts the power of `daemon`: SIGUSR2, waits for its death (SIGKILL after 10 s), then replays `journal`.
    public static func cut(_ daemon: Daemon, journal: String) throws -> Outcome {
        daemon.signal(SIGUSR2)
        var bySignal = true
        if daemon.waitForExit(within: 10) == nil {
            bySignal = false
            daemon.kill9()
        }
        let line = try replay(journal: journal)
        return Outcome(
            bySignal: bySignal, replay: line, droppedBytes: number(after: "dropped ", in: line),
            restoredBytes: number(after: "restored ", in: line))
    }

    private static func number(after word: String, in line: String) -> Int {
        guard let range = line.range(of: word) else { return -1 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    /// The injector's log for a daemon cut below `directory` (tracked files, syncs that emptied a journal, cuts).
    public static func log(directory: String) throws -> String {
        try String(contentsOfFile: directory + ".powercut.log", encoding: .utf8)
    }

    /// Runs `powercut-replay journal`; returns its line of figures.
    public static func replay(journal: String) throws -> String {
        try requireBuilt()
        let (status, output) = try runTool(replayTool, [journal])
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else { throw TestFailure("powercut-replay \(journal) failed: \(text)") }
        return text
    }

    /// Runs one of the injector's tools and returns its exit status and its output (stdout and stderr).
    public static func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension Fleet {
    /// The directory a hub under the injector keeps its store in (only its files are below it).
    public var hubPowerCutDirectory: String { "\(directory)/hub" }
    /// The directory agent `n` under the injector keeps its buffer in.
    public func agentPowerCutDirectory(_ n: Int) -> String { "\(directory)/agent-\(n)" }

    /// Rewrites the hub's config to keep its store in ``hubPowerCutDirectory`` with `store.durability`
    /// `durability` (`full` or `normal`); takes effect at the next ``startHubUnderPowerCut()``.
    public func configureHubForPowerCut(durability: String) throws {
        let path = "\(directory)/hub.yaml"
        let database = "\(hubPowerCutDirectory)/hub.db"
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .map { line in
            line.hasPrefix("store:")
                ? "store: { kind: sqlite, path: \(database), durability: \(durability) }" : String(line)
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: hubPowerCutDirectory, withIntermediateDirectories: true)
        setHubDatabase(database)
    }

    /// Starts the hub under the injector (after ``configureHubForPowerCut(durability:)``).
    public func startHubUnderPowerCut() throws {
        try startHub(environment: PowerCut.environment(directory: hubPowerCutDirectory))
    }

    /// Cuts the hub's power (see ``PowerCut/cut(_:journal:)``); restart it with ``startHubUnderPowerCut()``.
    public func powerCutHub() throws -> PowerCut.Outcome {
        sampleMemory()
        guard let hub else { throw TestFailure("no hub to cut") }
        return try PowerCut.cut(hub, journal: PowerCut.journal(directory: hubPowerCutDirectory))
    }

    /// Writes agent `n`'s config with its buffer in ``agentPowerCutDirectory(_:)`` at `buffer.durability`
    /// `durability`.
    public func configureAgentForPowerCut(_ n: Int, durability: String) throws {
        try FileManager.default.createDirectory(
            atPath: agentPowerCutDirectory(n), withIntermediateDirectories: true)
        try configureAgent(
            n, settings: ["buffer": "{ path: \(agentPowerCutDirectory(n))/agent.db, durability: \(durability) }"])
        setAgentDatabase(n, "\(agentPowerCutDirectory(n))/agent.db")
    }

    /// Starts agent `n` under the injector (after ``configureAgentForPowerCut(_:durability:)``).
    public func startAgentUnderPowerCut(_ n: Int) throws {
        try startAgent(n, environment: PowerCut.environment(directory: agentPowerCutDirectory(n)))
    }

    /// Cuts agent `n`'s power; restart it with ``startAgentUnderPowerCut(_:)``.
    public func powerCutAgent(_ n: Int) throws -> PowerCut.Outcome {
        sampleMemory()
        guard let agent = agent(n) else { throw TestFailure("no agent \(n) to cut") }
        return try PowerCut.cut(agent, journal: PowerCut.journal(directory: agentPowerCutDirectory(n)))
    }
}
