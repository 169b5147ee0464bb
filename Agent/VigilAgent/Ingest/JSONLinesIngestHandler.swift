import Foundation
import NIOCore
import VigilProtocol

/// Reads newline-delimited JSON records from one client and answers every line, in order, with
/// `{"ok":true}` once it is on disk or `{"ok":false,"error":"..."}` with the reason it was refused.
///
/// A line longer than `max_line_bytes` is refused and skipped up to its newline without being
/// buffered; the connection stays usable.
final class JSONLinesIngestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Replies for the lines of one read, written when every earlier group has been written.
    private final class ReplyGroup {
        var replies: [String?]  // nil = waiting for the commit of the record at that position
        var positions: [Int] = []  // line position of each submitted record, by submission index
        var ready: Bool

        init(replies: [String?], ready: Bool) {
            self.replies = replies
            self.ready = ready
        }
    }

    private static let ok = "{\"ok\":true}\n"

    private let shared: IngestContext
    private let peer: PeerCredentials?
    private var cumulation = ByteBuffer()
    private var skippingLongLine = false
    private var current = ReplyGroup(replies: [], ready: true)
    private var records: [[UInt8]] = []
    private var groups: [ReplyGroup] = []
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
        cumulation.writeBuffer(&input)
        let now = shared.now()
        while true {
            let view = cumulation.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if cumulation.readableBytes > shared.maxLineBytes {
                    if !skippingLongLine { refuse("too_large", "line exceeds max_line_bytes \(shared.maxLineBytes)") }
                    skippingLongLine = true
                    cumulation.moveReaderIndex(to: cumulation.writerIndex)
                }
                break
            }
            let length = newline - view.startIndex
            var line = cumulation.readSlice(length: length)!
            cumulation.moveReaderIndex(forwardBy: 1)
            if skippingLongLine {
                skippingLongLine = false
                continue
            }
            if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
            if line.readableBytes == 0 { continue }
            if line.readableBytes > shared.maxLineBytes {
                refuse("too_large", "line of \(line.readableBytes) bytes exceeds max_line_bytes \(shared.maxLineBytes)")
                continue
            }
            handle(line: line.readableBytesView, now: now)
        }
        if cumulation.readerIndex > 64 * 1024 { cumulation.discardReadBytes() }
    }

    private func handle(line: ByteBufferView, now: Int64) {
        shared.stats.received(1)
        do {
            let record = try JSONRecordParser.parse(line)
            let bytes = try shared.preparer.prepare(
                record: record,
                peer: peer,
                nowUnixNano: now,
                newEventID: IngestContext.newEventID
            )
            current.positions.append(current.replies.count)
            current.replies.append(nil)
            records.append(bytes)
        } catch {
            shared.stats.rejected(error.code == .invalid && error.field == "line" ? "json" : error.code.rawValue)
            current.replies.append(Self.failure(error.description))
        }
    }

    private func refuse(_ reason: String, _ message: String) {
        shared.stats.received(1)
        shared.stats.rejected(reason)
        current.replies.append(Self.failure(message))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        let group = current
        current = ReplyGroup(replies: [], ready: true)
        if !group.replies.isEmpty {
            groups.append(group)
            if !records.isEmpty { submit(group, context: context) }
        }
        writeReadyGroups(context: context)
        context.fireChannelReadComplete()
    }

    private func submit(_ group: ReplyGroup, context: ChannelHandlerContext) {
        group.ready = false
        let submitted = records
        records = []
        outstanding += 1
        if outstanding >= shared.maxOutstandingPerConnection {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
        let bound = NIOLoopBound((self, context, group), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        shared.committer.submit(submitted) { result in
            eventLoop.execute {
                let (handler, context, group) = bound.value
                handler.committed(result, group: group, context: context)
            }
        }
    }

    private func committed(
        _ result: Result<AppendOutcome, BufferError>, group: ReplyGroup, context: ChannelHandlerContext
    ) {
        outstanding -= 1
        switch result {
        case .success(let outcome):
            var refused: [Int: String] = [:]
            for rejection in outcome.rejections { refused[rejection.index] = rejection.reason }
            for (index, position) in group.positions.enumerated() {
                group.replies[position] = refused[index].map(Self.failure) ?? Self.ok
            }
            shared.stats.durable(outcome.stored)
            if !outcome.rejections.isEmpty { shared.stats.rejected("buffer_full", outcome.rejections.count) }
        case .failure(let error):
            for position in group.positions { group.replies[position] = Self.failure(error.description) }
            shared.stats.rejected("write_failed", group.positions.count)
        }
        group.ready = true
        writeReadyGroups(context: context)
        if outstanding < shared.maxOutstandingPerConnection, context.channel.isActive {
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            context.read()
        }
    }

    private func writeReadyGroups(context: ChannelHandlerContext) {
        var wrote = false
        while let head = groups.first, head.ready {
            groups.removeFirst()
            guard context.channel.isActive else { continue }
            var out = context.channel.allocator.buffer(capacity: head.replies.count * 12)
            for reply in head.replies { out.writeString(reply ?? Self.ok) }
            context.write(wrapOutboundOut(out), promise: nil)
            wrote = true
        }
        if wrote { context.flush() }
    }

    static func failure(_ message: String) -> String {
        let escaped =
            (try? JSONSerialization.data(withJSONObject: ["ok": false, "error": message], options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) }
        return (escaped ?? "{\"ok\":false,\"error\":\"unprintable error\"}") + "\n"
    }
}
