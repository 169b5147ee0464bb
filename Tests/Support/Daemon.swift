import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A built Vigil binary run as a separate process, its output going to a log file.
public final class Daemon: @unchecked Sendable {
    /// Where the package's debug binaries are (beside the test bundle, or `.build/debug`).
    public static var binaryDirectory: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: beside.appendingPathComponent("vigil-agent").path) { return beside }
        return TestCertificates.root.appendingPathComponent(".build/debug")
    }

    private let process = Process()
    /// The log file.
    public let logPath: String

    /// Starts `binary` (e.g. `vigil-agent`) with `arguments`; `environment` adds to the test's own.
    public init(_ binary: String, _ arguments: [String], log: String, environment: [String: String] = [:]) throws {
        logPath = log
        if !FileManager.default.fileExists(atPath: log) {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        let path = Self.binaryDirectory.appendingPathComponent(binary).path
        // Extra variables go through env(1): the child sees exactly the test's environment plus these.
        process.executableURL = URL(fileURLWithPath: environment.isEmpty ? path : "/usr/bin/env")
        process.arguments =
            environment.isEmpty
            ? arguments : environment.sorted { $0.key < $1.key }.map { "\($0)=\($1)" } + [path] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }
    /// Whether it is still running.
    public var isRunning: Bool { process.isRunning }

    /// `kill -9`.
    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits up to `seconds` for the exit; returns the exit status (nil on timeout).
    @discardableResult
    public func terminate(within seconds: Double = 20) -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill9()
            return nil
        }
        return process.terminationStatus
    }

    /// Resident memory now and its peak (`VmRSS`, `VmHWM` from `/proc/PID/status`), in bytes; nil once exited.
    public var memory: (rss: Int, peak: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        guard let rss = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (rss, peak)
    }

    /// Sends `signal` without waiting.
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits up to `seconds` for the process to exit; returns its status (nil if it still runs).
    public func waitForExit(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `path` exists.
    public static func waitForFile(_ path: String, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(20_000)
        }
        return false
    }
}
