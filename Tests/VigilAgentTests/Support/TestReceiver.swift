import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import VigilProtocol
import VigilTestSupport

/// A minimal hub for agent tests, on real mTLS at 127.0.0.1 port 0: answers `Hello` with the stored
/// high-water mark, stores batches in memory deduplicated by seq, and acks. Knobs inject faults.
final class TestReceiver: Sendable {
    struct Stored: Sendable {
        var hwm: UInt64 = 0
        var records: [UInt64: Vigil_V1_Record] = [:]
        var batches = 0
        var duplicates = 0
        var hellos: [Vigil_V1_Hello] = []
    }

    struct Faults: Sendable {
        /// Close the connection, without acking, when this (1-based, overall) batch arrives.
        var closeOnBatches: Set<Int> = []
        /// Answer every Hello with this rejection.
        var rejectHello: Vigil_V1_Reject.Code?
        /// Announce this `max_batch_records` in Welcome and refuse a bigger batch with `TOO_LARGE`, as the hub does.
        var maxBatchRecords: UInt32 = 0
        /// Whether Welcome says `maxBatchRecords` (an older hub enforces a limit it does not announce).
        var announcesLimit = true
    }

    let stored = Mutex(Stored())
    let faults = Mutex(Faults())
    private let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(certificates: String) async throws {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile("\(certificates)/hub.pem").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: "\(certificates)/hub.key", format: .pem))
        )
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .file("\(certificates)/ca.pem")
        let context = try NIOSSLContext(configuration: tls)
        let box = Box()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_Frame>()))
                    try channel.pipeline.syncOperations.addHandler(Handler(receiver: box.receiver!))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        box.receiver = self
    }

    func close() async { try? await channel.close() }

    /// Event ids of the stored records, by seq.
    var eventIDs: Set<Data> {
        stored.withLock {
            Set(
                $0.records.values.compactMap { record in
                    if case .event(let e) = record.body { return e.eventID }
                    return nil
                })
        }
    }

    private final class Box: @unchecked Sendable {
        // Set once, before the server accepts its first connection.
        var receiver: TestReceiver?
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = Vigil_V1_Frame
        typealias OutboundOut = ByteBuffer
        let receiver: TestReceiver
        var helloed = false
        /// Once this side decided to close, frames already read are ignored: a hub must never store a
        /// batch that follows one it refused, or the agent would delete the refused one on resume.
        var closing = false

        init(receiver: TestReceiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            guard !closing else { return }
            switch frame.body {
            case .hello(let hello):
                if let code = receiver.faults.withLock({ $0.rejectHello }) {
                    reject(context, code, "test rejection")
                    return
                }
                helloed = true
                let hwm = receiver.stored.withLock { s in
                    s.hellos.append(hello)
                    return s.hwm
                }
                let limit = receiver.faults.withLock { $0.announcesLimit ? $0.maxBatchRecords : 0 }
                send(
                    context,
                    .welcome(
                        .with {
                            $0.protocolVersion = 1; $0.resumeAfterSeq = hwm; $0.hubID = "test-hub"
                            $0.maxBatchRecords = limit
                        }))
            case .batch(let batch) where helloed:
                let number = receiver.stored.withLock { s in
                    s.batches += 1
                    return s.batches
                }
                let limit = receiver.faults.withLock { $0.maxBatchRecords }
                if limit > 0, batch.records.count > limit {
                    reject(context, .tooLarge, "batch over the limit")
                    return
                }
                if receiver.faults.withLock({ $0.closeOnBatches.contains(number) }) {
                    closing = true
                    context.close(promise: nil)
                    return
                }
                let through = receiver.stored.withLock { s -> UInt64 in
                    for (offset, record) in batch.records.enumerated() {
                        let seq = batch.firstSeq + UInt64(offset)
                        if seq <= s.hwm {
                            s.duplicates += 1
                            continue
                        }
                        s.records[seq] = record
                        s.hwm = seq
                    }
                    return s.hwm
                }
                send(context, .ack(.with { $0.throughSeq = through }))
            default:
                reject(context, .protocol, "unexpected frame")
            }
        }

        /// Sends `Reject` and closes; frames already read after it are ignored.
        private func reject(_ context: ChannelHandlerContext, _ code: Vigil_V1_Reject.Code, _ message: String) {
            send(
                context,
                .reject(
                    .with {
                        $0.code = code; $0.message = message
                    }))
            closing = true
            context.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        private func send(_ context: ChannelHandlerContext, _ body: Vigil_V1_Frame.OneOf_Body) {
            var frame = Vigil_V1_Frame()
            frame.body = body
            var out = context.channel.allocator.buffer(capacity: 64)
            try? out.writeLengthPrefixedMessage(frame)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}
