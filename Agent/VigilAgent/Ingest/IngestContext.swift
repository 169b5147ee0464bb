import Foundation
import Logging

/// What every ingest connection shares: how to prepare records, where to commit them, the counters
/// and the limits.
public struct IngestContext: Sendable {
    /// Fills defaults and validates.
    public var preparer: RecordPreparer
    /// Where records go.
    public var committer: GroupCommitter
    /// Shared counters.
    public var stats: IngestStats
    /// Largest binary frame accepted, bytes. Default 1 MiB.
    public var maxFrameBytes: Int
    /// Longest JSON line accepted, bytes. Default 64 KiB.
    public var maxLineBytes: Int
    /// Submissions a connection may have waiting for commit before the agent stops reading from it;
    /// this is the backpressure that keeps one flooding client from starving the others.
    public var maxOutstandingPerConnection: Int
    /// Unix time in nanoseconds.
    public var now: @Sendable () -> Int64
    /// Logger.
    public var logger: Logger

    /// Creates a context.
    public init(
        preparer: RecordPreparer,
        committer: GroupCommitter,
        stats: IngestStats,
        maxFrameBytes: Int = 1 << 20,
        maxLineBytes: Int = 64 << 10,
        maxOutstandingPerConnection: Int = 4,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) },
        logger: Logger = Logger(label: "vigil.agent.ingest")
    ) {
        self.preparer = preparer
        self.committer = committer
        self.stats = stats
        self.maxFrameBytes = maxFrameBytes
        self.maxLineBytes = maxLineBytes
        self.maxOutstandingPerConnection = maxOutstandingPerConnection
        self.now = now
        self.logger = logger
    }

    static func newEventID() -> Data {
        var generator = SystemRandomNumberGenerator()
        let a = generator.next() as UInt64
        let b = generator.next() as UInt64
        return withUnsafeBytes(of: (a, b)) { Data($0) }
    }
}
