import Foundation
import GRDBSQLite

#if canImport(Glibc)
    import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh directory `NSTemporaryDirectory()/name-pid` holding certificates from deploy/certs.sh in `certs/`
/// (with `certificateArguments`, e.g. `--agent ID`); the caller removes it.
func benchWorkDirectory(_ name: String, packageRoot: URL, certificateArguments: [String] = []) throws -> String {
    let work = NSTemporaryDirectory() + "\(name)-\(getpid())"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let script = packageRoot.appendingPathComponent("deploy/certs.sh").path
    try BenchProcess.run("/usr/bin/env", ["bash", script, "\(work)/certs"] + certificateArguments)
    return work
}

/// A child process of the benchmark.
final class BenchProcess {
    private let process = Process()
    private let output = Pipe()
    private let captures: Bool

    init(_ path: String, _ arguments: [String], captureOutput: Bool = false) throws {
        captures = captureOutput
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if captureOutput { process.standardOutput = output }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func waitForOutput() -> String {
        let data = captures ? output.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// SIGKILL, then waits for the exit.
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    static func run(_ path: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("\(arguments) failed") }
    }

    static func waitForFile(_ path: String, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(20_000)
        }
        return false
    }

    /// utime + stime from /proc/PID/stat, in seconds.
    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// VmHWM from /proc/PID/status, in KiB.
    static func peakRSSKiB(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

enum BenchSQLite {
    static func readBlobs(path: String, limit: Int) throws -> [[UInt8]] {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            throw BenchError("open \(path)")
        }
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT bytes FROM records ORDER BY seq LIMIT ?", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_int64(statement, 1, Int64(limit))
        var rows: [[UInt8]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let count = Int(sqlite3_column_bytes(statement, 0))
            let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: count)
            rows.append(Array(bytes))
        }
        return rows
    }
}
