import VigilConfiguration

extension AgentConfiguration {
    /// `shipping`: how records leave the buffer for the hub.
    public struct Shipping: Sendable, Equatable {
        /// `shipping.max_batch_records`: most records in one `Batch`. Default 1000; 1 to 100000.
        public var maxBatchRecords: Int = 1000
        /// `shipping.max_batch_bytes`: largest encoded `Batch`. Default 1 MiB; 1 KiB to 16 MiB.
        public var maxBatchBytes: Int = 1_048_576
        /// `shipping.max_in_flight`: batches sent and not yet acknowledged. Default 16 (was 4: with 4, the
        /// hub committed a whole window at once and then idled while agents refilled it); 1 to 1024.
        public var maxInFlight: Int = 16
        /// `shipping.backoff_base`: first delay before reconnecting after a failure; it doubles (with
        /// jitter) on each further failure. Default 100ms; more than 0.
        public var backoffBase: Duration = .milliseconds(100)
        /// `shipping.backoff_cap`: longest delay between reconnection attempts. Default 30s, or
        /// `backoff_base` when only that is set and it is longer; at least `backoff_base`.
        public var backoffCap: Duration = .seconds(30)

        /// The defaults above.
        public init() {}

        init(from node: ConfigurationNode?) throws(ConfigurationError) {
            guard let node else { return }
            let map = try node.mapping(allowedKeys: [
                "max_batch_records", "max_batch_bytes", "max_in_flight", "backoff_base", "backoff_cap",
            ])
            var problems = ConfigurationProblems()
            map.read("max_batch_records", into: &problems) { value throws(ConfigurationError) in
                maxBatchRecords = try value.integer(in: 1...100_000)
            }
            map.read("max_batch_bytes", into: &problems) { value throws(ConfigurationError) in
                maxBatchBytes = try value.size(in: 1024...16 << 20)
            }
            map.read("max_in_flight", into: &problems) { value throws(ConfigurationError) in
                maxInFlight = try value.integer(in: 1...1024)
            }
            map.read("backoff_base", into: &problems) { value throws(ConfigurationError) in
                backoffBase = try value.duration(atLeast: .milliseconds(1))
            }
            if map["backoff_cap"] == nil, backoffCap < backoffBase {
                backoffCap = backoffBase
            }
            map.read("backoff_cap", into: &problems) { value throws(ConfigurationError) in
                backoffCap = try value.duration(atLeast: backoffBase)
            }
            try problems.throwIfAny()
        }
    }
}
