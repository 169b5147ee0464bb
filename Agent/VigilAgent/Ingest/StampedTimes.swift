import Foundation
import Synchronization

/// The times the agent gave to the most recent events that came with an `event_id` but without a
/// `time_unix_nano`.
///
/// The hub drops a repeated event by `(time_unix_nano, event_id)`. An application that retries a write
/// whose answer it never got sends the same id again; if it leaves the time to the agent, the retry
/// would get a new time and be stored twice. With this memory the retry gets the first attempt's time,
/// and the hub skips it as the duplicate it is.
///
/// Bounded: the oldest of `capacity` remembered ids is forgotten first (about 40 bytes each; the default
/// 131,072 ids cover many minutes of retries at typical rates). The memory does not outlive the process:
/// after an agent restart, a retry without a time of a write that was stored before the restart is new
/// to it. Applications that need exactly-once across that case send `time_unix_nano` themselves.
public final class StampedTimes: Sendable {
    struct Key: Hashable {
        var high: UInt64
        var low: UInt64
    }

    private struct State {
        var times: [Key: Int64] = [:]
        var order: [Key] = []
        var next = 0
    }

    /// How many ids are remembered.
    public let capacity: Int
    private let state = Mutex(State())

    /// An empty memory of `capacity` ids.
    public init(capacity: Int = 131_072) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    /// The time for an event with `eventID` and no time of its own: the one given before if the id is
    /// remembered, else `now`, which is then remembered. Ids that are not 16 bytes (refused by
    /// validation anyway) are not remembered.
    public func time(for eventID: Data, now: Int64) -> Int64 {
        guard eventID.count == 16 else { return now }
        let key = eventID.withUnsafeBytes { raw in
            Key(
                high: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                low: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        return state.withLock { s in
            if let time = s.times[key] { return time }
            if s.order.count < capacity {
                s.order.append(key)
            } else {
                s.times[s.order[s.next]] = nil
                s.order[s.next] = key
                s.next = (s.next + 1) % capacity
            }
            s.times[key] = now
            return now
        }
    }

    /// How many ids are remembered now.
    public var count: Int { state.withLock { $0.times.count } }
}
