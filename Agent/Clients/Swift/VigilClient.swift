import Foundation
import NIOCore
import NIOPosix

/// One application event, as the agent's JSON-lines ingest takes it (DESIGN §3).
public struct VigilEvent: Sendable {
    public enum Outcome: String, Sendable { case ok, error }

    public var name: String
    public var outcome: Outcome
    public var durationMs: Double?
    public var errorCategory: String?
    public var attributes: [String: String]
    /// Default: the client's.
    public var service: String?
    /// Default: the client's.
    public var version: String?
    /// 32 hex digits; filled in when absent (so a resend is recognised as the same event).
    public var eventID: String?
    /// Filled in when absent.
    public var timeUnixNano: Int64?

    public init(
        _ name: String, outcome: Outcome = .ok, durationMs: Double? = nil, errorCategory: String? = nil,
        attributes: [String: String] = [:], service: String? = nil, version: String? = nil,
        eventID: String? = nil, timeUnixNano: Int64? = nil
    ) {
        self.name = name
        self.outcome = outcome
        self.durationMs = durationMs
        self.errorCategory = errorCategory
        self.attributes = attributes
        self.service = service
        self.version = version
        self.eventID = eventID
        self.timeUnixNano = timeUnixNano
    }
}

/// Vigil's Swift client: events to the local agent's Unix socket as JSON lines, over SwiftNIO.
///
/// Invariants (the same as the Python client's):
/// - **``send(_:)`` never waits for the agent**: it puts the event in a bounded queue and returns; a full
///   queue drops it and counts it (``Stats/dropped``). A background task writes the queue.
/// - **Durable means answered `{"ok":true}`**, which the agent sends after its commit. Lines unanswered
///   when a connection ends are written again, in order, on the next one: at least once to the agent,
///   exactly once at the hub (a second copy has the same time and event id, fixed at send).
/// - **A refused event** is counted with its reason and not sent again.
/// - The agent down or restarting is retried with capped exponential backoff.
/// - The background task starts with the first event and ends at ``close(timeout:)``: call it.
public actor VigilClient {
    /// What the client did so far.
    public struct Stats: Sendable {
        public var sent = 0
        public var durable = 0
        public var rejected = 0
        public var dropped = 0
        public var reconnects = 0
        public var queued = 0
        public var lastRejection: String?
    }

    private let socketPath: String
    private let service: String?
    private let version: String?
    private let queueSize: Int
    private let maxInFlight: Int
    private let group: any EventLoopGroup
    private var pending = CircularBuffer<(index: Int, line: [UInt8])>()
    private var inFlight = CircularBuffer<(index: Int, line: [UInt8])>()
    private var nextIndex = 1
    private var doneThrough = 0
    private var stats = Stats()
    private var closed = false
    /// Flushes waiting: each resumed once, by the answer that reaches its target or by its own deadline.
    private var waiters: [(id: Int, target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter = 0
    private let wake: AsyncStream<Void>.Continuation
    private let wakeups: AsyncStream<Void>
    private var runner: Task<Void, Never>?

    /// A client of the agent at `socketPath`; `service` and `version` label every event that has none. At most
    /// `queueSize` events wait, and `maxInFlight` are written before the agent answered the first.
    public init(
        socketPath: String = "/run/vigil/agent.sock", service: String? = nil, version: String? = nil,
        queueSize: Int = 10_000, maxInFlight: Int = 1000,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.maxInFlight = max(1, maxInFlight)
        self.socketPath = socketPath
        self.service = service
        self.version = version
        self.queueSize = queueSize
        self.group = group
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `event`; returns false when it was dropped (queue full, or the client closed).
    @discardableResult
    public func send(_ event: VigilEvent) -> Bool {
        guard !closed, pending.count + inFlight.count < queueSize else {
            stats.dropped += 1
            return false
        }
        pending.append((nextIndex, Self.line(event, service: service, version: version)))
        nextIndex += 1
        if runner == nil {
            let wakeups = wakeups
            runner = Task { await self.run(wakeups) }
        }
        wake.yield()
        return true
    }

    /// Waits until every event queued before the call is answered, at most `timeout`; returns how many are
    /// not (0: all durable or refused).
    public func flush(timeout: Duration = .seconds(5)) async -> Int {
        let target = nextIndex - 1
        if doneThrough < target {
            let id = nextWaiter
            nextWaiter += 1
            let deadline = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.release(waiter: id)
            }
            await withCheckedContinuation { waiters.append((id, target, $0)) }
            deadline.cancel()
        }
        return max(0, target - doneThrough)
    }

    /// The counters.
    public var currentStats: Stats {
        var copy = stats
        copy.queued = pending.count + inFlight.count
        return copy
    }

    /// Flushes for at most `timeout`, then stops; returns what flush returned.
    public func close(timeout: Duration = .seconds(5)) async -> Int {
        let left = await flush(timeout: timeout)
        closed = true
        wake.finish()
        runner?.cancel()
        return left
    }

    private func release(waiter id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }

    /// The answers of one read from the agent, in order.
    private func answered(_ answers: [(ok: Bool, error: String?)]) {
        for (ok, error) in answers {
            guard let (index, _) = inFlight.popFirst() else { break }
            if ok {
                stats.durable += 1
            } else {
                stats.rejected += 1
                stats.lastRejection = error
            }
            doneThrough = index
        }
        // The writer may be waiting for room in flight.
        if !pending.isEmpty { wake.yield() }
        let due = waiters.filter { $0.target <= doneThrough }
        waiters.removeAll { $0.target <= doneThrough }
        for waiter in due { waiter.continuation.resume() }
    }

    /// Lines to write now (moved to in flight), at most 256.
    private func take() -> [[UInt8]] {
        let count = min(pending.count, 256, max(0, maxInFlight - inFlight.count))
        let taken = Array(pending.prefix(count))
        pending.removeFirst(count)
        inFlight.append(contentsOf: taken)
        stats.sent += count
        return taken.map(\.line)
    }

    private func connectionEnded() {
        var again = inFlight
        again.append(contentsOf: pending)
        pending = again
        inFlight = CircularBuffer()
        stats.reconnects += 1
    }

    private var hasWork: Bool { !pending.isEmpty || !inFlight.isEmpty }

    private func run(_ wakeups: AsyncStream<Void>) async {
        var wakeup = wakeups.makeAsyncIterator()
        var failures = 0
        while !closed && !Task.isCancelled {
            if !hasWork {
                guard await wakeup.next() != nil else { return }
                continue
            }
            let (answers, answering) = AsyncStream.makeStream(of: [(ok: Bool, error: String?)].self)
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                ByteToMessageHandler(LineDecoder()))
                            try channel.pipeline.syncOperations.addHandler(AnswerHandler(answers: answering))
                        }
                    }
                    .connect(unixDomainSocketPath: socketPath).get()
            } catch {
                failures += 1
                let cap = min(2.0, 0.05 * Double(1 << min(failures, 16)))
                try? await Task.sleep(for: .milliseconds(Int(Double.random(in: 0...cap) * 1000)))
                continue
            }
            failures = 0
            // Answers in order, on one task.
            let reader = Task { [weak self] in
                for await batch in answers { await self?.answered(batch) }
                await self?.wakeUp()
            }
            while channel.isActive && !closed && !Task.isCancelled {
                let lines = take()
                if lines.isEmpty {
                    guard await wakeup.next() != nil else { break }
                    continue
                }
                var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.count })
                for line in lines { buffer.writeBytes(line) }
                do { try await channel.writeAndFlush(buffer).get() } catch { break }
            }
            try? await channel.close().get()
            await reader.value
            connectionEnded()
        }
    }

    private func wakeUp() { wake.yield() }

    /// `event` as one JSON line for the agent. Written by hand: `JSONSerialization` took two thirds of the
    /// client's time per event. A duration that is not finite goes as a string, which the agent refuses by
    /// name (counted in ``Stats/rejected``) rather than the client dropping it silently.
    public static func line(_ event: VigilEvent, service: String?, version: String?) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(192)
        func key(_ name: String) {
            out.append(out.isEmpty ? UInt8(ascii: "{") : UInt8(ascii: ","))
            string(name, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        key("event_id")
        string(event.eventID ?? randomEventID(), into: &out)
        key("time_unix_nano")
        out += Array(String(event.timeUnixNano ?? Int64(Date().timeIntervalSince1970 * 1e9)).utf8)
        if let value = event.service ?? service {
            key("service")
            string(value, into: &out)
        }
        if let value = event.version ?? version {
            key("version")
            string(value, into: &out)
        }
        key("name")
        string(event.name, into: &out)
        key("outcome")
        string(event.outcome.rawValue, into: &out)
        if let value = event.durationMs {
            key("duration_ms")
            if value.isFinite { out += Array("\(value)".utf8) } else { string("\(value)", into: &out) }
        }
        if let value = event.errorCategory {
            key("error_category")
            string(value, into: &out)
        }
        if !event.attributes.isEmpty {
            key("attributes")
            var first = true
            for (name, value) in event.attributes.sorted(by: { $0.key < $1.key }) {
                out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
                first = false
                string(name, into: &out)
                out.append(UInt8(ascii: ":"))
                string(value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: "\n"))
        return out
    }
}

/// `text` as a JSON string (RFC 8259: quote, backslash and control characters escaped; the rest as UTF-8).
private func string(_ text: String, into out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        case 0..<0x20:
            out += Array("\\u00".utf8)
            out += [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

/// Splits the agent's answers into lines.
private struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(NIOAny(line))
        return .continue
    }
}

/// 32 random hex digits, from two 64-bit draws.
private func randomEventID() -> String {
    var generator = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef".utf8)
    var bytes = [UInt8]()
    bytes.reserveCapacity(32)
    for var word in [generator.next(), generator.next()] as [UInt64] {
        for _ in 0..<16 {
            bytes.append(digits[Int(word & 0xf)])
            word >>= 4
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The answer lines of each read to the client's stream, in order, as one batch (one hop to the client actor
/// per read, not per line); the stream ends with the connection.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let answers: AsyncStream<[(ok: Bool, error: String?)]>.Continuation
    private var batch: [(ok: Bool, error: String?)] = []
    private static let durable = Array(#"{"ok":true}"#.utf8)

    init(answers: AsyncStream<[(ok: Bool, error: String?)]>.Continuation) { self.answers = answers }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        if line.readableBytesView.elementsEqual(Self.durable) {
            batch.append((true, nil))  // the agent's answer to nearly every line: no need to parse it
            return
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(line.readableBytesView))) as? [String: Any]
        batch.append((object?["ok"] as? Bool ?? false, object?["error"] as? String))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !batch.isEmpty {
            answers.yield(batch)
            batch.removeAll(keepingCapacity: true)
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !batch.isEmpty { answers.yield(batch) }
        answers.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
