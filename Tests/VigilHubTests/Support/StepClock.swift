import Synchronization

/// A clock that moves forward by `step` each time it is read and never by itself, so a test knows what
/// any measurement taken on it gives.
final class StepClock: Clock, Sendable {
    /// An offset from the clock's origin.
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let step: Duration
    private let current = Mutex(Duration.zero)
    private let readCount = Mutex(0)

    init(step: Duration) {
        self.step = step
    }

    var now: Instant {
        readCount.withLock { $0 += 1 }
        return current.withLock { offset in
            offset += step
            return Instant(offset: offset)
        }
    }

    /// How often `now` was read.
    var reads: Int { readCount.withLock { $0 } }

    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        current.withLock { $0 = max($0, deadline.offset) }
    }
}
