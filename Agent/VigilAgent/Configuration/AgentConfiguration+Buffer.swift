import VigilConfiguration

extension AgentConfiguration {
    /// `buffer`: the local SQLite database every record passes through before it is shipped (DESIGN §7).
    public struct Buffer: Sendable, Equatable {
        /// What to do with a new record when the buffer is at `max_bytes`.
        public enum WhenFull: String, Sendable, Equatable, CaseIterable {
            /// Delete the oldest records to make room (each drop counted).
            case dropOldest = "drop_oldest"
            /// Refuse the new record (counted, and reported to the producer).
            case rejectNew = "reject_new"
        }

        /// How hard each commit is pushed to disk.
        public enum Durability: String, Sendable, Equatable, CaseIterable {
            /// `synchronous=NORMAL`: survives a process crash; a power loss may lose the last commits.
            case normal
            /// `synchronous=FULL`: survives a power loss, at the cost of an fsync per commit.
            case full
        }

        /// `buffer.path`: the database file. Default `/var/lib/vigil/agent.db`.
        public var path: String = "/var/lib/vigil/agent.db"
        /// `buffer.max_bytes`: size cap of the buffer. Default 1 GiB; at least 1 MiB.
        public var maxBytes: Int = 1_073_741_824
        /// `buffer.when_full`: `drop_oldest` or `reject_new`. Default `drop_oldest`.
        public var whenFull: WhenFull = .dropOldest
        /// `buffer.durability`: `normal` or `full`. Default `normal`.
        public var durability: Durability = .normal

        /// The defaults above.
        public init() {}

        init(from node: ConfigurationNode?) throws(ConfigurationError) {
            guard let node else { return }
            let map = try node.mapping(allowedKeys: ["path", "max_bytes", "when_full", "durability"])
            var problems = ConfigurationProblems()
            map.read("path", into: &problems) { value throws(ConfigurationError) in
                path = try value.filePath()
            }
            map.read("max_bytes", into: &problems) { value throws(ConfigurationError) in
                maxBytes = try value.size(in: 1 << 20...Int.max)
            }
            map.read("when_full", into: &problems) { value throws(ConfigurationError) in
                whenFull = try value.choice()
            }
            map.read("durability", into: &problems) { value throws(ConfigurationError) in
                durability = try value.choice()
            }
            try problems.throwIfAny()
        }
    }
}
