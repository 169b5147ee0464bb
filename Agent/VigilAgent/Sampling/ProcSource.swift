/// The kernel files the host sampler reads, relative to the proc root (normally `/proc`).
public enum ProcFile: String, Sendable, Hashable, CaseIterable {
    /// `stat`: CPU time counters.
    case stat = "stat"
    /// `meminfo`: memory totals.
    case meminfo = "meminfo"
    /// `diskstats`: block device I/O counters.
    case diskstats = "diskstats"
    /// `net/tcp`: IPv4 TCP sockets.
    case netTCP = "net/tcp"
    /// `net/tcp6`: IPv6 TCP sockets.
    case netTCP6 = "net/tcp6"

    /// The path below the proc root, e.g. `net/tcp6`.
    public var relativePath: String { rawValue }
}

/// Where the host sampler gets its raw readings: the text of the ``ProcFile``s and `statvfs` of mount
/// points. ``LinuxProcSource`` reads the real ones; tests hand in fixture text.
public protocol ProcSource {
    /// Reads `file` whole and passes its bytes to `body`, returning what `body` returns, or `nil` if
    /// the file cannot be read. The bytes are only valid during the call (the buffer is reused).
    func withContents<Result>(of file: ProcFile, _ body: (ArraySlice<UInt8>) -> Result) -> Result?

    /// Space figures of the filesystem mounted at `mountPoint`, or `nil` if `statvfs` fails.
    func filesystemStats(at mountPoint: String) -> FilesystemStats?
}
