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
/// 131,072 ids cover many minutes of retries at typical rates).
///
/// Durable with the records: every time given out waits in ``takeUnsaved()`` until the buffer's next append
/// writes it to the `stamped_times` table in the transaction that stores records — before the record it was
/// given for is acknowledged — and the buffer loads the newest `capacity` of them when it opens. So an
/// application's retry after an agent restart (kill -9 included) still gets the first attempt's time.
public final class StampedTimes: Sendable {
    struct Key: Hashable {
        var high: UInt64
        var low: UInt64
    }

    private struct State {
        var times: [Key: Int64] = [:]
        var order: [Key] = []
        var next = 0
        /// Times given out and not yet written to the buffer database, oldest first.
        var unsaved: [(id: Data, time: Int64)] = []
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
        let key = Self.key(eventID)
        return state.withLock { s in
            if let time = s.times[key] { return time }
            Self.remember(key, now, in: &s, capacity: capacity)
            s.unsaved.append((eventID, now))
            // Bounded like the memory: while writes keep failing (a full disk) the oldest are the ones forgotten.
            if s.unsaved.count > capacity { s.unsaved.removeFirst(s.unsaved.count - capacity) }
            return now
        }
    }

    private static func key(_ id: Data) -> Key {
        id.withUnsafeBytes { raw in
            Key(
                high: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                low: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    private static func remember(_ key: Key, _ time: Int64, in s: inout State, capacity: Int) {
        if s.order.count < capacity {
            s.order.append(key)
        } else {
            s.times[s.order[s.next]] = nil
            s.order[s.next] = key
            s.next = (s.next + 1) % capacity
        }
        s.times[key] = time
    }

    /// Remembers times saved before (oldest first), as the buffer read them back on open.
    func load(_ saved: [(id: Data, time: Int64)]) {
        state.withLock { s in
            for (id, time) in saved.suffix(capacity) where id.count == 16 {
                let key = Self.key(id)
                if s.times[key] == nil { Self.remember(key, time, in: &s, capacity: capacity) }
            }
        }
    }

    /// Takes the times given out since the last call, for the buffer to write in its transaction.
    func takeUnsaved() -> [(id: Data, time: Int64)] {
        state.withLock { s in
            defer { s.unsaved.removeAll() }
            return s.unsaved
        }
    }

    /// Puts back times whose write failed (the transaction rolled back), ahead of newer ones.
    func returnUnsaved(_ entries: [(id: Data, time: Int64)]) {
        if entries.isEmpty { return }
        state.withLock { s in
            s.unsaved = entries + s.unsaved
            if s.unsaved.count > capacity { s.unsaved.removeFirst(s.unsaved.count - capacity) }
        }
    }

    /// How many ids are remembered now.
    public var count: Int { state.withLock { $0.times.count } }
}
