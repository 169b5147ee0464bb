import Foundation

/// One row of the merged view: an event or a sample, with the agent that sent it, its seq, and the
/// service and version it belongs to.
public struct StoredRecord: Sendable, Hashable {
    /// The kind-specific fields.
    public enum Body: Sendable, Hashable {
        /// An event.
        case event(Event)
        /// A sample.
        case sample(Sample)
    }

    /// An event's own fields.
    public struct Event: Sendable, Hashable {
        /// The 16-byte event id.
        public var eventID: Data
        /// `name`.
        public var name: String
        /// `outcome` as its wire number (0 unspecified, 1 ok, 2 error).
        public var outcome: Int
        /// `duration_ms`.
        public var durationMs: Double
        /// `error_category`.
        public var errorCategory: String
        /// `attributes`.
        public var attributes: [String: String]
    }

    /// A sample's own fields.
    public struct Sample: Sendable, Hashable {
        /// `metric`.
        public var metric: String
        /// `value`.
        public var value: Double
        /// `labels`.
        public var labels: [String: String]
    }

    /// The record's time (Unix ns).
    public var timeUnixNano: Int64
    /// The agent that sent it.
    public var agentID: String
    /// Its seq in that agent's stream.
    public var seq: UInt64
    /// The service (for samples: from its labels or else the agent's).
    public var service: String
    /// The version, like `service`.
    public var version: String
    /// The kind-specific fields.
    public var body: Body
}
