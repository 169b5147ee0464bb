#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the real `/proc` files and calls `statvfs`, cheaply enough for 1 s sampling: each read is
/// `open` + `read` into one buffer that is kept and grown as needed (no Foundation, no per-read
/// allocation once warm, no processes spawned), and file paths are converted to C strings once.
///
/// Not thread-safe: one sampler owns it and reads from one task.
public final class LinuxProcSource: ProcSource {
    /// The largest file read; a larger one (a `net/tcp` with hundreds of thousands of sockets) is
    /// reported as unreadable rather than grown into without bound.
    public static let maxFileBytes = 32 << 20

    private let paths: [ProcFile: [CChar]]
    private var buffer: [UInt8]

    /// A source reading below `root` (default `/proc`; tests may point it at a copy).
    public init(root: String = "/proc") {
        var paths: [ProcFile: [CChar]] = [:]
        for file in ProcFile.allCases {
            paths[file] = Array("\(root)/\(file.relativePath)".utf8CString)
        }
        self.paths = paths
        self.buffer = [UInt8](repeating: 0, count: 16 << 10)
    }

    /// Reads `file` into the reused buffer and hands `body` the bytes read.
    public func withContents<Result>(of file: ProcFile, _ body: (ArraySlice<UInt8>) -> Result) -> Result? {
        guard let count = readWhole(file) else { return nil }
        return body(buffer[0..<count])
    }

    /// `statvfs(3)` of `mountPoint`.
    public func filesystemStats(at mountPoint: String) -> FilesystemStats? {
        var stats = statvfs()
        guard statvfs(mountPoint, &stats) == 0 else { return nil }
        return FilesystemStats(
            blocks: UInt64(stats.f_blocks),
            freeBlocks: UInt64(stats.f_bfree),
            availableBlocks: UInt64(stats.f_bavail),
            fragmentSize: UInt64(stats.f_frsize)
        )
    }

    /// Reads the whole file into `buffer`, doubling it when full; the byte count, or `nil` on failure.
    private func readWhole(_ file: ProcFile) -> Int? {
        guard let path = paths[file] else { return nil }
        let fd = path.withUnsafeBufferPointer { open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var filled = 0
        while true {
            if filled == buffer.count {
                guard buffer.count < Self.maxFileBytes else { return nil }
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
            let count = buffer.withUnsafeMutableBytes { bytes in
                read(fd, bytes.baseAddress! + filled, bytes.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return filled }
            filled += count
        }
    }
}
