import NIOCore
import VigilProtocol

/// Reads length-prefixed `Record` frames from one client, and after each group commit writes back a
/// length-prefixed `IngestAck` with the connection's cumulative durable and rejected counts.
///
/// A frame that is zero-length, larger than the limit, undecodable or invalid is counted as rejected
/// and skipped — an oversize frame's bytes are discarded as they arrive, never buffered — so the
/// connection stays usable. `IngestAck.last_rejection` says why the latest refusal happened.
final class BinaryIngestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let shared: IngestContext
    private let peer: PeerCredentials?
    private var cumulation = ByteBuffer()
    private var discarding = 0
    private var batch: [[UInt8]] = []
    private var unreportedRejections = false
    private var durableTotal: UInt64 = 0
    private var rejectedTotal: UInt64 = 0
    private var lastRejection = ""
    private var suffixes = RecordPreparer.SuffixCache()
    /// Submissions waiting for their commit; reading pauses at `maxOutstandingPerConnection`.
    private var outstanding = 0

    init(context: IngestContext, peer: PeerCredentials?) {
        self.shared = context
        self.peer = peer
    }

    func handlerAdded(context: ChannelHandlerContext) { shared.stats.connectionOpened() }
    func handlerRemoved(context: ChannelHandlerContext) { shared.stats.connectionClosed() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if discarding > 0 {
            let skip = min(discarding, input.readableBytes)
            input.moveReaderIndex(forwardBy: skip)
            discarding -= skip
        }
        cumulation.writeBuffer(&input)
        parseFrames()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    private func parseFrames() {
        let now = shared.now()
        while discarding == 0,
            let length = cumulation.getInteger(at: cumulation.readerIndex, endianness: .big, as: UInt32.self)
        {
            if length == 0 {
                cumulation.moveReaderIndex(forwardBy: 4)
                reject("frame", "frame length is 0")
                continue
            }
            if Int(length) > shared.maxFrameBytes {
                cumulation.moveReaderIndex(forwardBy: 4)
                let skip = min(Int(length), cumulation.readableBytes)
                cumulation.moveReaderIndex(forwardBy: skip)
                discarding = Int(length) - skip
                reject("too_large", "frame of \(length) bytes exceeds max_frame_bytes \(shared.maxFrameBytes)")
                continue
            }
            guard cumulation.readableBytes >= 4 + Int(length) else { break }
            cumulation.moveReaderIndex(forwardBy: 4)
            let payload = cumulation.readSlice(length: Int(length))!
            shared.stats.received(1)
            do {
                let record = try LengthPrefixedMessageDecoder<Vigil_V1_Record>.decodeMessage(payload)
                let bytes = try shared.preparer.prepare(
                    decoded: record,
                    original: payload.readableBytesView,
                    peer: peer,
                    nowUnixNano: now,
                    cache: &suffixes,
                    newEventID: IngestContext.newEventID
                )
                batch.append(bytes)
            } catch let error as FrameError {
                reject("frame", "record frame is not a valid vigil.v1.Record: \(error.message)", counted: true)
            } catch let error as ValidationError {
                reject(error.code.rawValue, error.description, counted: true)
            } catch {
                reject("invalid", "\(error)", counted: true)
            }
        }
        if cumulation.readerIndex > 64 * 1024 { cumulation.discardReadBytes() }
    }

    private func reject(_ reason: String, _ message: String, counted: Bool = false) {
        if !counted { shared.stats.received(1) }
        shared.stats.rejected(reason)
        rejectedTotal += 1
        lastRejection = message
        unreportedRejections = true
    }

    private func flush(context: ChannelHandlerContext) {
        guard !batch.isEmpty else {
            if unreportedRejections { writeAck(context: context) }
            return
        }
        let records = batch
        batch = []
        outstanding += 1
        if outstanding >= shared.maxOutstandingPerConnection {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        shared.committer.submit(records) { result in
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.committed(result, count: records.count, context: context)
            }
        }
    }

    private func committed(_ result: Result<AppendOutcome, BufferError>, count: Int, context: ChannelHandlerContext) {
        outstanding -= 1
        switch result {
        case .success(let outcome):
            durableTotal += UInt64(outcome.stored)
            shared.stats.durable(outcome.stored)
            if let last = outcome.rejections.last {
                rejectedTotal += UInt64(outcome.rejections.count)
                shared.stats.rejected("buffer_full", outcome.rejections.count)
                lastRejection = last.reason
            }
        case .failure(let error):
            rejectedTotal += UInt64(count)
            shared.stats.rejected("write_failed", count)
            lastRejection = error.description
        }
        writeAck(context: context)
        if outstanding < shared.maxOutstandingPerConnection, context.channel.isActive {
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            context.read()
        }
    }

    private func writeAck(context: ChannelHandlerContext) {
        unreportedRejections = false
        guard context.channel.isActive else { return }
        var ack = Vigil_V1_IngestAck()
        ack.durableCount = durableTotal
        ack.rejectedCount = rejectedTotal
        ack.lastRejection = lastRejection
        var out = context.channel.allocator.buffer(capacity: 64 + lastRejection.utf8.count)
        try? out.writeLengthPrefixedMessage(ack)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
