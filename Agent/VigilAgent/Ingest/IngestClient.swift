import NIOCore
import NIOPosix
import VigilProtocol

/// A client for the agent's binary ingest socket: writes `Record` frames and waits for the
/// `IngestAck` that accounts for all of them. Used by `vigil-agent emit`, tests and benchmarks;
/// applications may use it too.
public enum IngestClient {
    /// Why a send did not complete.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What happened.
        public var message: String
        /// The last acknowledgement received, if any.
        public var lastAck: Vigil_V1_IngestAck?
        public var description: String { message }
    }

    /// Sends pre-framed records (each chunk holds whole length-prefixed `Record` frames, `count` in all)
    /// and returns the first `IngestAck` whose durable plus rejected counts reach `count`.
    public static func send(
        framedChunks: [ByteBuffer],
        count: Int,
        socketPath: String,
        timeout: Duration = .seconds(30),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Vigil_V1_IngestAck {
        let channel = try await ClientBootstrap(group: group)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_IngestAck>(maxFrameBytes: 1 << 20))
                    )
                    return try NIOAsyncChannel<Vigil_V1_IngestAck, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let raw = channel.channel
        let timer = raw.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            raw.close(promise: nil)
        }
        defer { timer.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for chunk in framedChunks { try await outbound.write(chunk) }
                }
                var last: Vigil_V1_IngestAck?
                for try await ack in inbound {
                    last = ack
                    if ack.durableCount + ack.rejectedCount >= UInt64(count) {
                        group.cancelAll()
                        return ack
                    }
                }
                throw Failure(message: "the agent closed the connection before answering every record", lastAck: last)
            }
        }
    }

    /// Frames `records` into chunks of about `chunkBytes`.
    public static func frame(_ records: [Vigil_V1_Record], chunkBytes: Int = 64 << 10) throws -> [ByteBuffer] {
        var chunks: [ByteBuffer] = []
        var current = ByteBuffer()
        for record in records {
            try current.writeLengthPrefixedMessage(record)
            if current.readableBytes >= chunkBytes {
                chunks.append(current)
                current = ByteBuffer()
            }
        }
        if current.readableBytes > 0 { chunks.append(current) }
        return chunks
    }
}
