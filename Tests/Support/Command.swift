import Foundation

/// How a finished command ended and what it printed.
public struct CommandResult: Sendable {
    /// Its exit status.
    public var status: Int32
    /// Its standard output (and standard error, when merged).
    public var output: Data
    /// `output` as UTF-8 text.
    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// Runs a command to completion, blocking (call it through `onThread` from async code): `arguments` through
/// `/usr/bin/env` unless `executable` names the binary. `input` goes to its standard input; with
/// `mergingErrors` its standard error joins the output, otherwise it goes where the test's goes.
public func runCommand(
    _ arguments: [String], executable: URL? = nil, environment: [String: String]? = nil, input: Data? = nil,
    mergingErrors: Bool = false
) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable ?? URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    process.standardOutput = output
    if mergingErrors { process.standardError = output }
    let stdin = input.map { _ in Pipe() }
    if let stdin { process.standardInput = stdin }
    try process.run()
    if let stdin, let input {
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: data)
}
