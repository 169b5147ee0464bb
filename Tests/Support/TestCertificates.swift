import Foundation
import Synchronization

/// Certificates made at test time by `deploy/certs.sh`, once per test process.
public enum TestCertificates {
    /// The package root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private static let made = Mutex<String?>(nil)

    /// Makes certificates with `deploy/certs.sh` into `directory`.
    public static func make(into directory: String, arguments: [String]) throws {
        try run(["bash", root.appendingPathComponent("deploy/certs.sh").path, directory] + arguments)
    }

    /// A directory with `ca.pem`, `hub.pem/.key` and agent certificates for `web-01` … `web-04` (`web-04` runs no
    /// agent: a probe speaks for it).
    public static func directory() throws -> String {
        try made.withLock { cached in
            if let cached { return cached }
            let directory = NSTemporaryDirectory() + "vigil-agent-tests-certs-\(getpid())"
            try run([
                "bash", root.appendingPathComponent("deploy/certs.sh").path, directory,
                "--agent", "web-01", "--agent", "web-02", "--agent", "web-03", "--agent", "web-04",
                // Authorization: certified for checkout (and its worker) only, and fleet-wide.
                "--agent", "checkout-01", "--service", "checkout", "--service", "checkout-worker",
                "--agent", "fleet-01", "--service", "*",
            ])
            cached = directory
            return directory
        }
    }

    /// Runs a command, throwing with its stderr if it fails.
    public static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestFailure("\(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}

/// A test precondition that did not hold.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh temporary directory, removed by the caller.
public func makeTemporaryDirectory(_ name: String = #function) throws -> String {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "vigil-\(clean.prefix(40))-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes zeros to `path` until its filesystem has no space left (a size-limited tmpfs, for disk-full tests).
public func fillFilesystem(_ path: String) throws {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    let chunk = Data(count: 256 * 1024)
    while (try? handle.write(contentsOf: chunk)) != nil {}
    let small = Data(count: 4096)
    while (try? handle.write(contentsOf: small)) != nil {}
}
