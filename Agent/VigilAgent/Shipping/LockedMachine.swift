import Synchronization

/// The session's state machine behind a lock, shareable by the sender and receiver tasks.
final class LockedMachine: Sendable {
    private let mutex: Mutex<ShipperStateMachine>

    init(_ machine: ShipperStateMachine) { mutex = Mutex(machine) }

    func withLock<T: Sendable>(_ body: (inout ShipperStateMachine) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}
