import VigilConfiguration

extension AgentConfiguration {
    /// `ingest`: the local Unix socket applications write events and samples to (DESIGN §3).
    public struct Ingest: Sendable, Equatable {
        /// `ingest.socket`: path of the Unix stream socket. Default `/run/vigil/agent.sock`.
        public var socket: String = "/run/vigil/agent.sock"
        /// `ingest.mode`: permission bits of the socket, written as an octal string. Default `"0660"`.
        public var mode: UInt32 = 0o660
        /// `ingest.max_frame_bytes`: largest binary frame accepted. Default 1 MiB; 1 KiB to 16 MiB.
        public var maxFrameBytes: Int = 1_048_576
        /// `ingest.max_line_bytes`: longest JSON line accepted. Default 64 KiB; 1 KiB to 16 MiB.
        public var maxLineBytes: Int = 65_536

        /// The defaults above.
        public init() {}

        /// `sun_path` holds 108 bytes including the terminating NUL.
        static let maxSocketPathBytes = 107

        init(from node: ConfigurationNode?) throws(ConfigurationError) {
            guard let node else { return }
            let map = try node.mapping(allowedKeys: ["socket", "mode", "max_frame_bytes", "max_line_bytes"])
            var problems = ConfigurationProblems()
            map.read("socket", into: &problems) { value throws(ConfigurationError) in
                socket = try value.filePath()
                guard socket.utf8.count <= Self.maxSocketPathBytes else {
                    throw value.invalid(reason: "a Unix socket path must be at most 107 bytes")
                }
            }
            map.read("mode", into: &problems) { value throws(ConfigurationError) in
                mode = try value.value(expected: "an octal file mode such as \"0660\"", ConfigurationValue.fileMode)
            }
            map.read("max_frame_bytes", into: &problems) { value throws(ConfigurationError) in
                maxFrameBytes = try value.size(in: 1024...16 << 20)
            }
            map.read("max_line_bytes", into: &problems) { value throws(ConfigurationError) in
                maxLineBytes = try value.size(in: 1024...16 << 20)
            }
            try problems.throwIfAny()
        }
    }
}
