import VigilConfiguration

extension AgentConfiguration {
    /// `sampling`: what the host sampler reads and how often (DESIGN §4).
    public struct Sampling: Sendable, Equatable {
        /// `sampling.interval`: time between two samples. Default 10s; at least 100ms.
        public var interval: Duration = .seconds(10)
        /// `sampling.mounts`: mount points whose space is reported (`disk.used_bytes`, `disk.utilization`).
        /// Default `["/"]`; absolute paths.
        public var mounts: [String] = ["/"]
        /// `sampling.devices`: block devices whose I/O is reported (`disk.read_bytes`, `disk.write_bytes`),
        /// by kernel name such as `sda` or `nvme0n1`. Default empty: every whole disk (see ``DiskDeviceFilter``).
        public var devices: [String] = []
        /// `sampling.listen_ports`: TCP ports whose accept-queue depth is reported as `queue.depth`.
        /// Default none; 1 to 65535.
        public var listenPorts: [Int] = []

        /// The defaults above.
        public init() {}

        /// The shortest interval accepted.
        public static let minimumInterval: Duration = .milliseconds(100)

        init(from node: ConfigurationNode?) throws(ConfigurationError) {
            guard let node else { return }
            let map = try node.mapping(allowedKeys: ["interval", "mounts", "devices", "listen_ports"])
            var problems = ConfigurationProblems()
            map.read("interval", into: &problems) { value throws(ConfigurationError) in
                interval = try value.duration(atLeast: Self.minimumInterval)
            }
            map.read("mounts", into: &problems) { value throws(ConfigurationError) in
                mounts = try value.uniqueList(expected: "a list of mount points") {
                    element throws(ConfigurationError) in
                    let path = try element.filePath()
                    guard path.hasPrefix("/") else { throw element.invalid(expected: "an absolute path") }
                    return path
                }
            }
            map.read("devices", into: &problems) { value throws(ConfigurationError) in
                devices = try value.uniqueList(expected: "a list of device names") {
                    element throws(ConfigurationError) in
                    try element.value(expected: "a block device name such as sda or nvme0n1") { name in
                        Self.isDeviceName(name) ? name : nil
                    }
                }
            }
            map.read("listen_ports", into: &problems) { value throws(ConfigurationError) in
                listenPorts = try value.uniqueList(expected: "a list of TCP ports") {
                    element throws(ConfigurationError) in
                    try element.value(expected: "a TCP port from 1 to 65535") { text in
                        ConfigurationValue.integer(text).flatMap { (1...65535).contains($0) ? $0 : nil }
                    }
                }
            }
            try problems.throwIfAny()
        }

        /// A kernel block device name as `/proc/diskstats` shows it: no slash, no space, at most 32 bytes.
        static func isDeviceName(_ name: String) -> Bool {
            (1...32).contains(name.utf8.count)
                && name.utf8.allSatisfy { $0 > UInt8(ascii: " ") && $0 < 0x7F && $0 != UInt8(ascii: "/") }
        }
    }
}
