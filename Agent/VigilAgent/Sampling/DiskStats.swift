/// The sector counters of the selected devices in one read of `/proc/diskstats`.
///
/// Each line is `major minor name reads merged sectors_read ms writes merged sectors_written …`;
/// sectors are always 512-byte units, whatever the device's real sector size. Lines with fewer than
/// ten fields or a non-number in a counter are skipped.
public struct DiskStats: Sendable, Equatable {
    /// The counters of one device.
    public struct Device: Sendable, Equatable {
        /// The kernel's device name, e.g. `sda`, `nvme0n1`.
        public var name: String
        /// Sectors read since boot.
        public var sectorsRead: UInt64
        /// Sectors written since boot.
        public var sectorsWritten: UInt64

        /// Creates a device's counters.
        public init(name: String, sectorsRead: UInt64, sectorsWritten: UInt64) {
            self.name = name
            self.sectorsRead = sectorsRead
            self.sectorsWritten = sectorsWritten
        }
    }

    /// The bytes in one diskstats sector.
    public static let sectorBytes: Double = 512

    /// The selected devices, in the file's order.
    public var devices: [Device]

    /// Creates a snapshot from parts.
    public init(devices: [Device]) {
        self.devices = devices
    }

    /// Parses the text of `/proc/diskstats`, keeping the devices `filter` includes.
    public static func parse(_ text: String, filter: DiskDeviceFilter) -> DiskStats {
        parse(ArraySlice(text.utf8), filter: filter)
    }

    /// Parses the bytes of `/proc/diskstats`, keeping the devices `filter` includes.
    public static func parse(_ bytes: ArraySlice<UInt8>, filter: DiskDeviceFilter) -> DiskStats {
        var devices: [Device] = []
        var lines = ProcTextScanner(bytes)
        while let line = lines.nextLine() {
            var fields = ProcFields(line)
            guard fields.skip(2), let name = fields.next(), filter.includes(name), fields.skip(2),
                let sectorsRead = fields.nextDecimal(), fields.skip(3), let sectorsWritten = fields.nextDecimal()
            else { continue }
            devices.append(
                Device(
                    name: String(decoding: name, as: UTF8.self),
                    sectorsRead: sectorsRead,
                    sectorsWritten: sectorsWritten
                )
            )
        }
        return DiskStats(devices: devices)
    }
}
