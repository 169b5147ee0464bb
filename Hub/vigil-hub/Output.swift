import ArgumentParser
import Foundation
import VigilHub

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to standard output unbuffered, so a process reading the pipe sees it at once.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Loads the configuration, or prints its error and exits 1.
func loadConfiguration(_ path: String) throws -> HubConfiguration {
    do {
        return try HubConfiguration.load(path: path)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}
