import NIOCore

/// Looks at the first byte of a connection and installs the matching reader: `{` means JSON lines,
/// anything else binary length-prefixed frames (DESIGN §3). Then it steps out of the pipeline.
final class IngestSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let shared: IngestContext
    private let peer: PeerCredentials?

    init(context: IngestContext, peer: PeerCredentials?) {
        self.shared = context
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        let reader: any ChannelHandler =
            first == UInt8(ascii: "{")
            ? JSONLinesIngestHandler(context: shared, peer: peer)
            : BinaryIngestHandler(context: shared, peer: peer)
        do {
            try context.pipeline.syncOperations.addHandler(reader, position: .after(self))
        } catch {
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
