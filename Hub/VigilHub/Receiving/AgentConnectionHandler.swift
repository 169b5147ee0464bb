import Foundation
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import VigilProtocol

/// The I/O shell of one agent connection: sits after TLS and the frame decoder, feeds frames and
/// store results to a ``ConnectionStateMachine`` and carries out its actions on the channel.
///
/// Invariants:
/// - Reads only while the machine wants more (fewer than `maxPendingBatches` awaiting commit), the
///   commit queue is under its bound, and the receiver is not draining; otherwise `read` is held
///   back, so a slow store slows agents down instead of filling memory.
/// - Acks are written from commit completions only, on the channel's event loop, in commit order.
/// - A `Reject` is written and flushed before the connection closes; every one is counted by code.
/// - A failure before the TLS handshake completed is counted as a handshake failure.
final class AgentConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = Vigil_V1_Frame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: ConnectionStateMachine
    private let shared: ReceiverContext
    private var logger: Logger
    private var handshakeDone = false
    private var handshakeFailureCounted = false
    private var peer: PeerIdentity?
    private var readHeld = false
    private var recheckScheduled = false
    private var helloTimer: Scheduled<Void>?

    init(shared: ReceiverContext, overloaded: Bool) {
        self.shared = shared
        self.machine = ConnectionStateMachine(
            settings: shared.settings, overloaded: overloaded, authorization: shared.authorization)
        self.logger = shared.logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress {
            logger[metadataKey: "peer.address"] = "\(address)"
        }
        let seconds = shared.helloTimeout.nanoseconds / 1_000_000_000
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        helloTimer = context.eventLoop.scheduleTask(in: shared.helloTimeout) {
            let (handler, context) = bound.value
            if handler.handshakeDone {
                handler.perform(handler.machine.helloTimedOut(after: seconds), context: context)
            } else if !handler.handshakeFailureCounted {
                handler.handshakeFailureCounted = true
                handler.shared.counters.handshakeFailed(.timeout)
                handler.logger.info(
                    "TLS handshake did not complete in time; closing", metadata: ["reason": "timeout"])
                context.close(promise: nil)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        helloTimer?.cancel()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            handshakeDone = true
            if let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() {
                peer = PeerIdentity(certificate: certificate)
            }
            perform(machine.handshakeCompleted(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let action = machine.received(frame, peer: peer)
        if case .store(let batch) = action, case .batch(let sent) = frame.body {
            shared.counters.backlog(sent.backlogRecords, of: batch.agentID)
        }
        perform(action, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !handshakeDone {
            handshakeFailed(error, context: context)
        } else if let error = error as? FrameError {
            perform(machine.frameError(error), context: context)
        } else {
            logger.debug("connection error; closing", metadata: ["error": "\(error)"])
            _ = machine.connectionClosed()
            context.close(promise: nil)
        }
    }

    /// Counts and logs a failed handshake by reason, then closes. The certificate the client
    /// presented, if any, is still readable here; its dates tell expired from untrusted.
    private func handshakeFailed(_ error: any Error, context: ChannelHandlerContext) {
        guard !handshakeFailureCounted else { return }  // one failure can raise several errors
        handshakeFailureCounted = true
        var validity: ClosedRange<Date>?
        var subject = "none"
        if let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate() {
            let notBefore = Date(timeIntervalSince1970: TimeInterval(certificate.notValidBefore))
            let notAfter = Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
            validity = notBefore <= notAfter ? notBefore...notAfter : nil
            subject = PeerIdentity(certificate: certificate).commonName ?? "no CN"
        }
        let reason = HandshakeFailure.classify(error, certificateValidity: validity, now: Date())
        shared.counters.handshakeFailed(reason)
        logger.info(
            "TLS handshake failed",
            metadata: ["reason": "\(reason.rawValue)", "certificate": "\(subject)", "error": "\(error)"])
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        helloTimer?.cancel()
        if let agentID = machine.connectionClosed(), shared.counters.agentClosed(agentID) {
            shared.committer.disconnected(agentID: agentID)
        }
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if shouldRead {
            context.read()
        } else {
            readHeld = true
            scheduleRecheckIfNeeded(context: context)
        }
    }

    // MARK: Actions

    private var shouldRead: Bool {
        machine.wantsRead && !shared.isDraining && !shared.committer.isAboveBound
    }

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .openStream(let hello):
            logger[metadataKey: "agent.id"] = "\(hello.agentID)"
            shared.counters.agentOpened(hello.agentID)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            shared.committer.open(hello) { result in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    switch result {
                    case .success(let hwm):
                        handler.helloTimer?.cancel()
                        handler.logger.info("agent stream opened", metadata: ["resume.seq": "\(hwm)"])
                        handler.perform(handler.machine.streamOpened(resumeAfterSeq: hwm), context: context)
                    case .failure(let error):
                        handler.perform(handler.machine.storeFailed(error, batch: false), context: context)
                    }
                }
            }
        case .send(let frame):
            write(frame, context: context, promise: nil)
        case .store(let batch):
            shared.counters.received(records: batch.records.count)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            shared.committer.submit(batch) { result in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    switch result {
                    case .success(let outcome):
                        if outcome.refused > 0 {
                            handler.shared.refusalLog.note(
                                agentID: batch.agentID, refused: outcome.refused,
                                refusals: batch.refusals.filter { $0.position >= outcome.duplicateSeqs })
                        }
                        handler.perform(handler.machine.batchCommitted(outcome), context: context)
                    case .failure(let error):
                        handler.perform(handler.machine.storeFailed(error, batch: true), context: context)
                    }
                }
            }
        case .reject(let rejection):
            shared.counters.rejected(rejection.code)
            logger.warning(
                "rejected agent connection",
                metadata: ["reject.code": "\(rejection.code.label)", "reject.message": "\(rejection.message)"])
            let promise = context.eventLoop.makePromise(of: Void.self)
            write(.reject(rejection.code, rejection.message), context: context, promise: promise)
            let channel = context.channel
            promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        case .close(let reason):
            logger.info("closing agent connection", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
        }
        resumeReadingIfPossible(context: context)
    }

    private func write(_ frame: Vigil_V1_Frame, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard context.channel.isActive else {
            promise?.succeed()
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            try buffer.writeLengthPrefixedMessage(frame)
        } catch {
            // Encoding our own small messages cannot fail; if it did, end the connection cleanly.
            logger.error("cannot encode a frame", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            promise?.succeed()
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
    }

    private func resumeReadingIfPossible(context: ChannelHandlerContext) {
        guard readHeld, shouldRead else { return }
        readHeld = false
        context.read()
    }

    /// Only the commit queue's bound clears without an event on this connection, so a connection
    /// held back by it alone looks again shortly.
    private func scheduleRecheckIfNeeded(context: ChannelHandlerContext) {
        guard !recheckScheduled, machine.wantsRead, !shared.isDraining else { return }
        recheckScheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: shared.backpressureRecheck) {
            let (handler, context) = bound.value
            handler.recheckScheduled = false
            if handler.shouldRead {
                handler.resumeReadingIfPossible(context: context)
            } else {
                handler.scheduleRecheckIfNeeded(context: context)
            }
        }
    }
}
