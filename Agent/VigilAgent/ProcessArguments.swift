import Foundation

/// The process's arguments, without the program name.
///
/// Under some preloaded libraries (libfaketime 0.9.10, used to test clock jumps) the Swift runtime
/// misses `argv` and `CommandLine.arguments` is empty; the kernel's copy in `/proc/self/cmdline` is
/// still right, so it is read instead of silently running with no arguments.
public enum ProcessArguments {
    /// The arguments after the program name, from the runtime or else from `/proc/self/cmdline`.
    public static var current: [String] {
        if CommandLine.argc > 0 { return Array(CommandLine.arguments.dropFirst()) }
        guard let bytes = FileManager.default.contents(atPath: "/proc/self/cmdline") else { return [] }
        // NUL-terminated strings; empty arguments are kept, the final terminator is not an argument.
        var parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true { parts.removeLast() }
        return parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
    }
}
