import VigilConfiguration

extension AgentConfiguration {
    /// `shutdown`: what happens on SIGTERM, after producers stop.
    public struct Shutdown: Sendable, Equatable {
        /// `shutdown.drain_timeout`: how long the shipper may keep sending buffered records before the
        /// process exits (whatever is left stays in the buffer for next time). Default 5s.
        public var drainTimeout: Duration = .seconds(5)

        /// The defaults above.
        public init() {}

        init(from node: ConfigurationNode?) throws(ConfigurationError) {
            guard let node else { return }
            let map = try node.mapping(allowedKeys: ["drain_timeout"])
            var problems = ConfigurationProblems()
            map.read("drain_timeout", into: &problems) { value throws(ConfigurationError) in
                drainTimeout = try value.duration(atLeast: .zero)
            }
            try problems.throwIfAny()
        }
    }
}
