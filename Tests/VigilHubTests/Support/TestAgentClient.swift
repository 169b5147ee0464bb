import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import VigilProtocol

/// A minimal agent for tests: TLS (1.3 by default, with a client certificate) to the hub, frames out,
/// frames and the connection's end in.
final class TestAgentClient: Sendable {
    enum Event: Sendable {
        case frame(Vigil_V1_Frame)
        case closed
        case error(String)
    }

    struct Options {
        var agent: String? = "web-01"
        var certificateDirectory = TestCertificates.shared.directory
        var tlsVersion = TLSVersion.tlsv13
    }

    let channel: any Channel
    private let inbox: Inbox

    static func connect(port: Int, options: Options = Options()) async throws -> TestAgentClient {
        let certs = TestCertificates.shared
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = options.tlsVersion
        tls.maximumTLSVersion = options.tlsVersion
        tls.trustRoots = .file(certs.ca)
        tls.certificateVerification = .fullVerification
        if let agent = options.agent {
            let directory = options.certificateDirectory
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile("\(directory)/agent-\(agent).pem").map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: "\(directory)/agent-\(agent).key", format: .pem))
        }
        let context = try NIOSSLContext(configuration: tls)
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try sync.addHandler(ByteToMessageHandler(LengthPrefixedMessageDecoder<Vigil_V1_Frame>()))
                    try sync.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TestAgentClient(channel: channel, inbox: inbox)
    }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    func send(_ frame: Vigil_V1_Frame) async throws {
        var buffer = channel.allocator.buffer(capacity: 256)
        try buffer.writeLengthPrefixedMessage(frame)
        try await channel.writeAndFlush(buffer)
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// The next event, or a failure after `timeout`.
    func next(timeout: Duration = .seconds(10)) async throws -> Event {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = inbox.take() { return event }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(what: "no frame or close from the hub within \(timeout)")
    }

    /// The next frame; fails on close, error or timeout.
    func nextFrame(timeout: Duration = .seconds(10)) async throws -> Vigil_V1_Frame {
        switch try await next(timeout: timeout) {
        case .frame(let frame): return frame
        case .closed: throw TestTimeout(what: "the hub closed the connection")
        case .error(let error): throw TestTimeout(what: "connection error: \(error)")
        }
    }

    /// Waits until the connection ends (closed or failed), skipping frames; returns them.
    func framesUntilClosed(timeout: Duration = .seconds(10)) async throws -> [Vigil_V1_Frame] {
        var frames: [Vigil_V1_Frame] = []
        while true {
            switch try await next(timeout: timeout) {
            case .frame(let frame): frames.append(frame)
            case .closed: return frames
            case .error: continue
            }
        }
    }

    func close() async {
        try? await channel.close()
    }

    final class Inbox: Sendable {
        private let events = Mutex<[Event]>([])
        func put(_ event: Event) { events.withLock { $0.append(event) } }
        func take() -> Event? { events.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
    }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = Vigil_V1_Frame
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            inbox.put(.frame(unwrapInboundIn(data)))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            inbox.put(.error("\(error)"))
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.put(.closed)
        }
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { what }
}

extension Vigil_V1_Frame {
    var rejectCode: Vigil_V1_Reject.Code? {
        if case .reject(let reject) = body { return reject.code }
        return nil
    }

    var rejectMessage: String {
        if case .reject(let reject) = body { return reject.message }
        return ""
    }
}
