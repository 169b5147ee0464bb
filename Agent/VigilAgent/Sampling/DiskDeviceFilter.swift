/// Which lines of `/proc/diskstats` are reported as `disk.read_bytes` / `disk.write_bytes`.
///
/// With devices configured (`sampling.devices`), exactly those names are reported, whatever they are.
/// With none, every whole disk is reported and the rest skipped, judged by the kernel's names:
/// - `loopN`, `ramN` and `zramN` (memory- or file-backed devices) are skipped;
/// - partitions are skipped: `sd`/`vd`/`xvd`/`hd` + letters + digits (`sda1`, `vdb2`), and a name
///   ending in a digit, then `p`, then digits (`nvme0n1p1`, `mmcblk0p2`, `nbd0p1`);
/// - everything else is a whole disk: `sda`, `vda`, `nvme0n1`, `mmcblk0`, `md0`, `dm-0`, ….
/// Device-mapper and md devices are reported beside the disks under them, so their I/O appears twice
/// across devices; each series is still correct for its own `device` label.
public struct DiskDeviceFilter: Sendable, Equatable {
    /// The configured names as bytes; empty means the default rule.
    private let configured: [[UInt8]]

    /// A filter for `sampling.devices`; an empty list means every whole disk.
    public init(devices: [String]) {
        self.configured = devices.map { Array($0.utf8) }
    }

    /// True when the device named `name` is reported.
    public func includes(_ name: String) -> Bool {
        includes(ArraySlice(name.utf8))
    }

    /// True when the device whose name is the bytes `name` is reported.
    public func includes(_ name: ArraySlice<UInt8>) -> Bool {
        if configured.isEmpty {
            return Self.isWholeDisk(name)
        }
        return configured.contains { name.elementsEqual($0) }
    }

    /// The default rule above.
    public static func isWholeDisk(_ name: ArraySlice<UInt8>) -> Bool {
        if ProcNumber.hasPrefix(name, "loop") || ProcNumber.hasPrefix(name, "ram")
            || ProcNumber.hasPrefix(name, "zram")
        {
            return false
        }
        return !isPartition(name)
    }

    private static func isPartition(_ name: ArraySlice<UInt8>) -> Bool {
        // Trailing digits, then what comes before them.
        var index = name.endIndex
        while index > name.startIndex, isDigit(name[index - 1]) { index -= 1 }
        guard index < name.endIndex, index > name.startIndex else { return false }
        let stem = name[name.startIndex..<index]
        // nvme0n1p1, mmcblk0p2: "<something ending in a digit>p<digits>".
        if stem.count >= 2, stem.last == UInt8(ascii: "p"), isDigit(stem[stem.endIndex - 2]) {
            return true
        }
        // sda1, vdb2, xvda1, hda3: a disk-name prefix followed by letters only.
        for prefix: StaticString in ["sd", "vd", "xvd", "hd"] where ProcNumber.hasPrefix(stem, prefix) {
            let letters = stem.dropFirst(prefix.utf8CodeUnitCount)
            return !letters.isEmpty && letters.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        }
        return false
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
