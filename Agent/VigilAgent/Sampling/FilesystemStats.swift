/// The space figures of one mounted filesystem, as `statvfs(3)` reports them, and the
/// `disk.used_bytes` / `disk.utilization` derived from them the way `df` does.
public struct FilesystemStats: Sendable, Equatable {
    /// `f_blocks`: size of the filesystem in `f_frsize` units.
    public var blocks: UInt64
    /// `f_bfree`: free blocks, including those reserved for root.
    public var freeBlocks: UInt64
    /// `f_bavail`: free blocks available to unprivileged users.
    public var availableBlocks: UInt64
    /// `f_frsize`: the fragment size, the unit of the block counts.
    public var fragmentSize: UInt64

    /// Creates stats from the `statvfs` fields.
    public init(blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64, fragmentSize: UInt64) {
        self.blocks = blocks
        self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks
        self.fragmentSize = fragmentSize
    }

    /// `(f_blocks − f_bfree) × f_frsize`: bytes in use.
    public var usedBytes: UInt64 {
        let (used, overflow) = (blocks &- min(freeBlocks, blocks)).multipliedReportingOverflow(by: fragmentSize)
        return overflow ? .max : used
    }

    /// `used / (used + f_bavail × f_frsize)`, like the Use% of `df`: blocks reserved for root count
    /// as neither used nor available. `nil` for a filesystem with no blocks (e.g. a pseudo filesystem).
    public var utilization: Double? {
        let used = Double(usedBytes)
        let denominator = used + Double(availableBlocks) * Double(fragmentSize)
        guard denominator > 0 else { return nil }
        return min(1, used / denominator)
    }
}
