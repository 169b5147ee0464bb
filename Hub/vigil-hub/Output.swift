import ArgumentParser
import Foundation
import VigilConfiguration
import VigilHub

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to standard output unbuffered, so a process reading the pipe sees it at once.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The `--set` flags, parsed, or their error printed and exit 1.
func parseOverrides(_ sets: [String]) throws -> [ConfigurationOverride] {
    do {
        return try ConfigurationOverride.parse(sets)
    } catch {
        printError(error.description)
        throw ExitCode(1)
    }
}

/// Loads the configuration with `overrides`, or prints its error and exits 1.
func loadConfiguration(_ path: String, overrides: [ConfigurationOverride] = []) throws -> HubConfiguration {
    do {
        return try HubConfiguration.load(path: path, overrides: overrides)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}
