/// Read and write throughput of one block device over an interval: `disk.read_bytes` and
/// `disk.write_bytes`, in bytes per second (`Δsectors × 512 / elapsed seconds`).
public struct DiskIORate: Sendable, Equatable {
    /// The kernel's device name, the `device` label.
    public var device: String
    /// Bytes read per second.
    public var readBytesPerSecond: Double
    /// Bytes written per second.
    public var writeBytesPerSecond: Double

    /// Creates a rate.
    public init(device: String, readBytesPerSecond: Double, writeBytesPerSecond: Double) {
        self.device = device
        self.readBytesPerSecond = readBytesPerSecond
        self.writeBytesPerSecond = writeBytesPerSecond
    }

    /// The rate of each device present in both snapshots, in `current`'s order. A device that
    /// appeared or vanished in between, or whose counters went backwards (a wrap of a 32-bit
    /// counter, a device re-created under the same name), is skipped for this interval. Nothing is
    /// returned unless `elapsedSeconds` is positive.
    public static func rates(from previous: DiskStats, to current: DiskStats, elapsedSeconds: Double) -> [DiskIORate] {
        guard elapsedSeconds > 0, elapsedSeconds.isFinite else { return [] }
        var earlierByName: [String: DiskStats.Device] = [:]
        earlierByName.reserveCapacity(previous.devices.count)
        for device in previous.devices {
            earlierByName[device.name] = device
        }
        var result: [DiskIORate] = []
        result.reserveCapacity(current.devices.count)
        for device in current.devices {
            guard let earlier = earlierByName[device.name], device.sectorsRead >= earlier.sectorsRead,
                device.sectorsWritten >= earlier.sectorsWritten
            else { continue }
            let scale = DiskStats.sectorBytes / elapsedSeconds
            result.append(
                DiskIORate(
                    device: device.name,
                    readBytesPerSecond: Double(device.sectorsRead - earlier.sectorsRead) * scale,
                    writeBytesPerSecond: Double(device.sectorsWritten - earlier.sectorsWritten) * scale
                )
            )
        }
        return result
    }
}
