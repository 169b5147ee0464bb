import Foundation

/// Runs blocking work (socket reads in tests) on its own thread, so it never occupies one of the few
/// threads of Swift's cooperative pool that the code under test needs to make progress.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.start()
    }
}
