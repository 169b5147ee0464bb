import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import VigilProtocol

extension Shipper {
    /// One connection to one hub, from TCP connect to close.
    /// `onAck` runs at every `Ack` that acknowledges more than before: only a hub that stores what it is sent
    /// proves the connection healthy (a hub that welcomes and then refuses every batch must not reset the backoff).
    func session(_ endpoint: ShipperOptions.Endpoint, onAck: () -> Void) async throws {
        let sslContext = try tls.context()
        stats.update { $0.certificateServices = tls.services.current.description }
        let serverHostname: String? = Self.isIPAddress(endpoint.host) ? nil : endpoint.host
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(options.handshakeTimeout.components.seconds)))
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_Frame>())
                    )
                    return try NIOAsyncChannel<Vigil_V1_Frame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let raw = channel.channel
        // A hub that accepts TCP but never answers must not hold the agent forever.
        let handshakeTimer = raw.eventLoop.scheduleTask(in: .nanoseconds(Int64(options.handshakeTimeout.nanoseconds))) {
            raw.close(promise: nil)
        }
        try await channel.executeThenClose { inbound, outbound in
            let machine = LockedMachine(
                ShipperStateMachine(
                    maxInFlight: options.maxInFlight,
                    limits: .init(maxRecords: options.maxBatchRecords, maxBytes: options.maxBatchBytes)))
            _ = machine.withLock { $0.connected() }
            try await outbound.write(try helloFrame())
            var frames = inbound.makeAsyncIterator()
            guard let first = try await frames.next() else {
                throw ShipperError(message: "hub closed the connection before Welcome")
            }
            handshakeTimer.cancel()
            let welcome: Vigil_V1_Welcome
            switch first.body {
            case .welcome(let w): welcome = w
            case .reject(let reject): throw rejected(reject, endpoint: endpoint)
            default: throw ShipperError(message: "hub sent \(Self.kind(first)) instead of Welcome")
            }
            guard welcome.protocolVersion == WireProtocol.version else {
                throw ShipperError(
                    message: "hub speaks protocol \(welcome.protocolVersion), this agent \(WireProtocol.version)")
            }
            let actions = machine.withLock {
                $0.welcomed(
                    resumeAfterSeq: welcome.resumeAfterSeq, maxBatchRecords: welcome.maxBatchRecords,
                    maxBatchBytes: welcome.maxBatchBytes, maxFrameBytes: welcome.maxFrameBytes)
            }
            try await perform(actions, wake: wake)
            stats.update {
                $0.connectedEndpoint = endpoint.description
                $0.lastError = nil
            }
            logger.info(
                "connected to hub",
                metadata: [
                    "hub.endpoint": "\(endpoint)", "hub.id": "\(welcome.hubID)",
                    "resume.seq": "\(welcome.resumeAfterSeq)",
                    "batch.max_records": "\(machine.withLock { $0.batchLimits.maxRecords })",
                ]
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await self.sendLoop(machine: machine, outbound: outbound, wake: self.wake, channel: raw)
                }
                group.addTask { await self.watchTLSFiles(channel: raw) }
                defer { group.cancelAll() }
                while let frame = try await frames.next() {
                    try await receive(frame, machine: machine, wake: wake, endpoint: endpoint, onAck: onAck)
                }
                throw ShipperError(message: "hub closed the connection")
            }
        }
    }

    private func sendLoop(
        machine: LockedMachine,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        wake: Signal,
        channel: any Channel
    ) async throws {
        while !Task.isCancelled {
            let (next, limits) = machine.withLock { ($0.nextSend(), $0.batchLimits) }
            guard case .readBatch(let after) = next else {
                await wake.wait(upTo: .seconds(1))
                continue
            }
            guard
                var batch = try await buffer.readBatch(
                    after: after, maxRecords: limits.maxRecords, maxBytes: limits.maxBytes)
            else {
                await wake.wait(upTo: .seconds(1))
                continue
            }
            if case .close(let reason) = machine.withLock({
                $0.sending(firstSeq: batch.firstSeq, lastSeq: batch.lastSeq)
            }) {
                channel.close(promise: nil)
                throw ShipperError(message: reason)
            }
            let newest = buffer.stats.nextSeq - 1
            batch.frame.backlogRecords = newest > batch.lastSeq ? newest - batch.lastSeq : 0
            var frame = channel.allocator.buffer(capacity: batch.frame.frameBytes)
            batch.frame.write(into: &frame)
            try await outbound.write(frame)
            stats.update {
                $0.batchesSent += 1
                $0.recordsSent += UInt64(batch.recordCount)
            }
        }
    }

    private func receive(
        _ frame: Vigil_V1_Frame,
        machine: LockedMachine,
        wake: Signal,
        endpoint: ShipperOptions.Endpoint,
        onAck: () -> Void
    ) async throws {
        switch frame.body {
        case .ack(let ack):
            if ack.refused > 0 {
                stats.update { $0.recordsRefusedByHub += ack.refused }
                if stats.refusalWarningDue() {
                    logger.warning(
                        "the hub refused records of services this agent may not speak for; acknowledged, not resent",
                        metadata: [
                            "hub.endpoint": "\(endpoint)", "records.refused": "\(ack.refused)",
                            "through.seq": "\(ack.throughSeq)",
                        ])
                }
            }
            let actions = machine.withLock { $0.acked(through: ack.throughSeq) }
            // Only an Ack that moved the acknowledged seq forward proves the hub stores what it is sent.
            if actions.contains(where: { if case .deleteThrough = $0 { true } else { false } }) { onAck() }
            // The send loop reads after the last seq sent, which deleting acknowledged rows does not
            // touch: let it refill the window while the delete runs rather than after.
            if actions.contains(where: { if case .readBatch = $0 { true } else { false } }) { wake.notify() }
            try await perform(actions, wake: wake)
        case .reject(let reject):
            throw rejected(reject, endpoint: endpoint)
        default:
            if case .close(let reason) = machine.withLock({ $0.unexpected(Self.kind(frame)) }) {
                throw ShipperError(message: reason)
            }
        }
    }

    /// Carries out what the state machine decided.
    private func perform(_ actions: [ShipperStateMachine.Action], wake: Signal) async throws {
        for action in actions {
            switch action {
            case .resume(let seq):
                let deleted = try await buffer.resume(after: seq)
                stats.update { $0.recordsAcked += UInt64(deleted) }
            case .deleteThrough(let seq):
                let deleted = try await buffer.deleteThrough(seq)
                let now = Int64(Date().timeIntervalSince1970 * 1e9)
                stats.update {
                    $0.recordsAcked += UInt64(deleted)
                    $0.lastAckSeq = seq
                    $0.lastAckUnixNano = now
                }
                wake.notify()
            case .close(let reason):
                throw ShipperError(message: reason)
            case .readBatch, .wait, .sendHello:
                wake.notify()
            }
        }
    }

    private func rejected(_ reject: Vigil_V1_Reject, endpoint: ShipperOptions.Endpoint) -> ShipperError {
        let code = "\(reject.code)"
        stats.update { $0.rejects[code, default: 0] += 1 }
        // Unauthorized does not heal by retrying: the certificate, the labels or the hub's policy must change.
        logger.log(
            level: reject.code == .unauthorized ? .error : .warning,
            "hub rejected this agent",
            metadata: ["hub.endpoint": "\(endpoint)", "reject.code": "\(code)", "reject.message": "\(reject.message)"]
        )
        return ShipperError(message: "hub rejected: \(code): \(reject.message)")
    }

    private func watchTLSFiles(channel: any Channel) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.tlsCheckInterval)
            if tls.filesChanged {
                logger.info("TLS files changed on disk; reconnecting with them")
                channel.close(promise: nil)
                return
            }
        }
    }

    private func helloFrame() throws -> ByteBuffer {
        var hello = Vigil_V1_Hello()
        hello.protocolVersion = WireProtocol.version
        hello.agentID = options.agentID
        hello.streamID = buffer.streamID
        hello.hostname = options.hostname
        hello.agentVersion = VigilAgentInfo.version
        hello.labels = options.labels
        var frame = Vigil_V1_Frame()
        frame.hello = hello
        var out = ByteBuffer()
        try out.writeLengthPrefixedMessage(frame)
        return out
    }

    static func kind(_ frame: Vigil_V1_Frame) -> String {
        switch frame.body {
        case .hello: "Hello"
        case .welcome: "Welcome"
        case .batch: "Batch"
        case .ack: "Ack"
        case .reject: "Reject"
        case nil: "an empty frame"
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
