import Synchronization

/// What the webhook notifier did since the hub started, for `/v1/status` and `/metrics`. Thread-safe.
public final class NotifierCounters: Sendable {
    /// A consistent copy.
    public struct Snapshot: Sendable, Hashable, Codable {
        /// Deliveries (one notification to one URL) answered 2xx.
        public var sent: UInt64 = 0
        /// Deliveries given up after the last attempt, or refused with a 4xx other than 429.
        public var failed: UInt64 = 0
        /// Attempts repeated after a failure.
        public var retried: UInt64 = 0
        /// Notifications dropped because the queue was full or the notifier had stopped.
        public var dropped: UInt64 = 0
        /// Notifications waiting in the queue.
        public var queued: Int = 0
        /// The last failure, e.g. `http://… answered 500`.
        public var lastError: String?

        /// All zero.
        public init() {}

        enum CodingKeys: String, CodingKey {
            case sent, failed, retried, dropped, queued
            case lastError = "last_error"
        }
    }

    private let state = Mutex(Snapshot())

    /// Zero counters.
    public init() {}

    /// The counters now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0) }
    }
}
