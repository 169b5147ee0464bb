/// Memory use from `/proc/meminfo`: `memory.used_bytes = MemTotal − MemAvailable` and
/// `memory.utilization = used / MemTotal`.
///
/// `MemAvailable` (Linux 3.14+) is the kernel's estimate of memory that can be given to new work
/// without swapping, so page cache does not count as used. On kernels without it the estimate is
/// `MemFree + Buffers + Cached`.
public struct MemoryInfo: Sendable, Equatable {
    /// `MemTotal`, in bytes.
    public var totalBytes: UInt64
    /// `MemAvailable` (or its estimate), in bytes, never more than ``totalBytes``.
    public var availableBytes: UInt64

    /// Creates a reading; `availableBytes` is capped at `totalBytes`.
    public init(totalBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes
        self.availableBytes = min(availableBytes, totalBytes)
    }

    /// `MemTotal − MemAvailable`, in bytes.
    public var usedBytes: UInt64 { totalBytes - availableBytes }

    /// `usedBytes / totalBytes`, within 0...1.
    public var utilization: Double {
        totalBytes == 0 ? 0 : Double(usedBytes) / Double(totalBytes)
    }

    /// Parses the text of `/proc/meminfo`.
    public static func parse(_ text: String) -> MemoryInfo? {
        parse(ArraySlice(text.utf8))
    }

    /// Parses the bytes of `/proc/meminfo`; `nil` without a positive `MemTotal`. Values are in kB
    /// (which the kernel means as KiB) and are multiplied by 1024.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> MemoryInfo? {
        var total: UInt64?
        var available: UInt64?
        var free: UInt64 = 0
        var buffers: UInt64 = 0
        var cached: UInt64 = 0
        var lines = ProcTextScanner(bytes)
        while let line = lines.nextLine() {
            var fields = ProcFields(line)
            guard let key = fields.next(), let kibibytes = fields.nextDecimal(), kibibytes < 1 << 50 else { continue }
            let bytes = kibibytes * 1024
            if ProcNumber.equals(key, "MemTotal:") {
                total = bytes
            } else if ProcNumber.equals(key, "MemAvailable:") {
                available = bytes
            } else if ProcNumber.equals(key, "MemFree:") {
                free = bytes
            } else if ProcNumber.equals(key, "Buffers:") {
                buffers = bytes
            } else if ProcNumber.equals(key, "Cached:") {
                cached = bytes
            }
        }
        guard let total, total > 0 else { return nil }
        return MemoryInfo(totalBytes: total, availableBytes: available ?? (free + buffers + cached))
    }
}
