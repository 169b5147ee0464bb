import Foundation
import VigilProtocol

/// The hub's protocol logic for one agent connection (DESIGN §2), without I/O: which frames are
/// allowed when, what is checked, and what the shell should do. The shell feeds it frames and store
/// results and carries out the ``Action``s it returns.
///
/// Invariants:
/// - The first frame must be `Hello`; nothing is stored before `Welcome` was sent.
/// - A `Hello` is accepted only with protocol version 1, an `agent_id` that the client certificate
///   names (CN or DNS SAN), a 16-byte `stream_id` and bounded hostname, version and labels.
/// - `Welcome` announces the limits a batch is checked against (`max_batch_records`, `max_batch_bytes`), so
///   an agent configured for larger batches caps them instead of being refused forever.
/// - A `Batch` is accepted only after `Welcome`, with at least one and at most `maxBatchRecords`
///   records, `first_seq` ≥ 1, and every record valid. A single bad record rejects the whole frame: the
///   agent validates before it buffers, so a bad record means a broken or hostile agent, and storing part
///   of a frame would break the seq accounting.
/// - A batch that overlaps what this connection already sent or resumed after (`first_seq` ≤ that seq) is
///   accepted: the store skips and counts the seqs at or below the stream's hwm and acknowledges through the
///   batch's own last seq (DESIGN §2). It still names the connection's previous seq, so the store refuses it
///   when an earlier batch of the connection was not stored.
/// - Authorization (DESIGN §8): what the agent may speak for is its certificate's `vigil:service:` names
///   narrowed by the hub's policy (``AgentAuthorization``), looked up again whenever the policy is replaced. A
///   `Hello` whose `service` label is not allowed is rejected `UNAUTHORIZED`, and so is the connection once a
///   new policy no longer allows it. A record whose service is not allowed (an event's `service`; a sample's
///   `service` label, else the `Hello`'s) is refused alone: it keeps its seq with its body removed, so the rest
///   of the batch is stored and the batch is acknowledged through its last seq, and the `Ack` says how many were
///   refused. Records at or below the seq the connection already sent are not looked at: the store skips them.
/// - An `Ack` is produced only from a committed batch's outcome, and names that batch's own last seq.
/// - Every violation ends the connection with exactly one `Reject`; after it nothing else is done.
public struct ConnectionStateMachine: Sendable {
    /// The limits and names a connection is checked against.
    public struct Settings: Sendable, Hashable {
        /// The hub's name in `Welcome`.
        public var hubID: String
        /// The frame limit announced in `Welcome` (the decoder enforces it).
        public var maxFrameBytes: Int
        /// Most records in one batch.
        public var maxBatchRecords: Int
        /// Batches awaiting commit before the connection stops reading.
        public var maxPendingBatches: Int
        /// Bounds on record contents.
        public var recordLimits: RecordLimits

        /// Creates settings.
        public init(
            hubID: String, maxFrameBytes: Int = FrameParser.defaultMaxFrameBytes, maxBatchRecords: Int = 10_000,
            maxPendingBatches: Int = 8, recordLimits: RecordLimits = RecordLimits()
        ) {
            self.hubID = hubID
            self.maxFrameBytes = maxFrameBytes
            self.maxBatchRecords = maxBatchRecords
            self.maxPendingBatches = maxPendingBatches
            self.recordLimits = recordLimits
        }
    }

    /// Why a connection is being rejected: the code and message sent in `Reject`.
    public struct Rejection: Sendable, Hashable, CustomStringConvertible {
        /// The `Reject` code.
        public var code: Vigil_V1_Reject.Code
        /// The `Reject` message.
        public var message: String

        public var description: String { "\(code.label): \(message)" }
    }

    /// What the shell should do.
    public enum Action: Sendable {
        /// Nothing.
        case none
        /// Record the `Hello` in the store and call ``streamOpened(resumeAfterSeq:)`` with the hwm.
        case openStream(AgentHello)
        /// Write this frame (a `Welcome` or an `Ack`).
        case send(Vigil_V1_Frame)
        /// Submit this batch for commit and call ``batchCommitted(_:)`` with the outcome.
        case store(IncomingBatch)
        /// Write `Reject` with this code and message, count it, then close.
        case reject(Rejection)
        /// Close without a `Reject` (the agent itself rejected or is leaving).
        case close(reason: String)
    }

    enum State: Sendable {
        case awaitingHello
        case opening(AgentHello)
        case streaming(AgentHello, lastSeq: UInt64)
        case closed
    }

    /// The settings in force.
    public let settings: Settings
    private let validator: RecordValidator
    private let authorizationState: AuthorizationState
    /// What the agent may speak for, as of policy generation `authorizationGeneration` (0: not looked up yet).
    public private(set) var authorization = AgentAuthorization()
    private var authorizationGeneration: UInt64 = 0
    private var certificateServices = ServiceGrant.all
    private let overloaded: Bool
    private(set) var state = State.awaitingHello
    /// Batches submitted and not yet committed.
    public private(set) var pendingBatches = 0
    /// The agent whose `Hello` was accepted (and handed to the store) on this connection, if any.
    public private(set) var openedAgentID: String?

    /// A machine for a new connection. `overloaded` means the hub is at `max_connections`: the
    /// connection is rejected as soon as TLS is up. `authorization` holds the hub's policy (none by default).
    public init(
        settings: Settings, overloaded: Bool = false, authorization: AuthorizationState = AuthorizationState(nil)
    ) {
        self.settings = settings
        self.validator = RecordValidator(limits: settings.recordLimits)
        self.overloaded = overloaded
        self.authorizationState = authorization
    }

    /// Whether the shell should read more from the socket now.
    public var wantsRead: Bool {
        switch state {
        case .awaitingHello: true
        case .opening, .closed: false
        case .streaming: pendingBatches < settings.maxPendingBatches
        }
    }

    /// Whether the connection is over (a `Reject` was decided or it closed).
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The TLS handshake completed.
    public mutating func handshakeCompleted() -> Action {
        overloaded ? reject(.overloaded, "the hub is at its connection limit; try again later") : .none
    }

    /// A frame arrived from the agent; `peer` is the verified client certificate's identity.
    public mutating func received(_ frame: Vigil_V1_Frame, peer: PeerIdentity?) -> Action {
        switch (frame.body, state) {
        case (_, .closed):
            return .none
        case (.hello(let hello), .awaitingHello):
            return accept(hello, peer: peer)
        case (.hello, _):
            return reject(.protocol, "second Hello on one connection")
        case (.batch(let batch), .streaming(let hello, let lastSeq)):
            return accept(batch, from: hello, after: lastSeq)
        case (.batch, .opening):
            return reject(.protocol, "Batch before Welcome; wait for Welcome and resume after its seq")
        case (.reject(let reject), _):
            state = .closed
            return .close(reason: "agent rejected the connection: \(reject.code.label): \(reject.message)")
        case (_, .awaitingHello):
            return reject(.protocol, "expected Hello as the first frame, got \(frame.kindName)")
        case (.welcome, _), (.ack, _), (nil, _):
            return reject(.protocol, "agents do not send \(frame.kindName)")
        }
    }

    /// The store recorded the `Hello`; `resumeAfterSeq` is the stream's high-water mark.
    public mutating func streamOpened(resumeAfterSeq: UInt64) -> Action {
        guard case .opening(let hello) = state else { return .none }
        state = .streaming(hello, lastSeq: resumeAfterSeq)
        return .send(
            .welcome(
                resumeAfterSeq: resumeAfterSeq, maxFrameBytes: settings.maxFrameBytes,
                maxBatchRecords: settings.maxBatchRecords, hubID: settings.hubID))
    }

    /// A batch of this connection committed.
    public mutating func batchCommitted(_ outcome: BatchOutcome) -> Action {
        pendingBatches -= 1
        guard case .streaming = state else { return .none }
        if outcome.predecessorMissing {
            return reject(.overloaded, "an earlier batch of this connection was not stored; reconnect to resume")
        }
        return .send(.ack(throughSeq: outcome.throughSeq, refused: outcome.refused))
    }

    /// The store failed to record the `Hello` or to commit a batch: nothing was stored or acknowledged,
    /// so the agent may send it all again later.
    public mutating func storeFailed(_ error: StoreError, batch: Bool) -> Action {
        if batch { pendingBatches -= 1 }
        guard !isClosed else { return .none }
        return reject(.overloaded, "the hub could not store data (\(error.code)); try again later")
    }

    /// The frame decoder failed: an oversize, empty, undecodable or truncated frame.
    public mutating func frameError(_ error: FrameError) -> Action {
        guard !isClosed else { return .none }
        if error.code == .truncated {
            state = .closed
            return .close(reason: error.message)
        }
        return reject(error.code == .tooLarge ? .tooLarge : .protocol, error.message)
    }

    /// The connection did not reach `Welcome` in time.
    public mutating func helloTimedOut(after seconds: Int64) -> Action {
        switch state {
        case .awaitingHello: return reject(.protocol, "no Hello within \(seconds) s of connecting")
        case .opening: return reject(.overloaded, "the hub could not answer Hello within \(seconds) s; try again later")
        case .streaming, .closed: return .none
        }
    }

    /// The connection closed. Returns the agent whose stream it had opened, if any.
    public mutating func connectionClosed() -> String? {
        state = .closed
        return openedAgentID
    }

    // MARK: Checks

    private mutating func accept(_ hello: Vigil_V1_Hello, peer: PeerIdentity?) -> Action {
        guard hello.protocolVersion == WireProtocol.version else {
            return reject(
                .unsupportedVersion,
                "protocol version \(hello.protocolVersion) is not supported; this hub speaks \(WireProtocol.version)")
        }
        guard let peer, peer.permits(agentID: hello.agentID) else {
            return reject(
                .unauthorized,
                "agent_id \(Self.quote(hello.agentID)) does not match the client certificate (\(peer?.names ?? "none"))"
            )
        }
        guard hello.streamID.count == WireProtocol.idBytes else {
            return reject(.protocol, "stream_id must be \(WireProtocol.idBytes) bytes, got \(hello.streamID.count)")
        }
        if let problem = Self.helloBoundsProblem(hello, limits: settings.recordLimits) {
            return reject(.protocol, problem)
        }
        certificateServices = peer.services
        if let refusal = refreshAuthorization(agentID: hello.agentID, helloService: hello.labels["service"]) {
            return refusal
        }
        let accepted = AgentHello(
            agentID: hello.agentID, streamID: hello.streamID, hostname: hello.hostname,
            agentVersion: hello.agentVersion, labels: hello.labels)
        state = .opening(accepted)
        openedAgentID = hello.agentID
        return .openStream(accepted)
    }

    private mutating func accept(_ batch: Vigil_V1_Batch, from hello: AgentHello, after lastSeq: UInt64) -> Action {
        let count = batch.records.count
        guard count > 0 else { return reject(.protocol, "a Batch carries at least one record") }
        guard count <= settings.maxBatchRecords else {
            return reject(.tooLarge, "Batch has \(count) records; the limit is \(settings.maxBatchRecords)")
        }
        guard batch.firstSeq > 0 else { return reject(.protocol, "Batch first_seq must be at least 1") }
        guard batch.firstSeq <= UInt64(Int64.max) - UInt64(count) else {
            return reject(.protocol, "Batch seqs \(batch.firstSeq)+\(count) overflow")
        }
        for (index, record) in batch.records.enumerated() {
            do {
                try validator.validate(record)
            } catch {
                return reject(
                    .protocol,
                    "record seq \(batch.firstSeq + UInt64(index)) is invalid: \(error.field): \(error.message)")
            }
        }
        if authorizationState.generation != authorizationGeneration,
            let refusal = refreshAuthorization(agentID: hello.agentID, helloService: hello.labels["service"])
        {
            return refusal
        }
        var incoming = IncomingBatch(
            agentID: hello.agentID, streamID: hello.streamID, firstSeq: batch.firstSeq, records: batch.records,
            previousSeq: lastSeq)
        if !authorization.allowsAll {
            refuseUnauthorized(in: &incoming, helloService: hello.labels["service"] ?? "")
        }
        state = .streaming(hello, lastSeq: max(lastSeq, incoming.lastSeq))
        pendingBatches += 1
        return .store(incoming)
    }

    /// Looks up what the agent may speak for under the policy now in force; a `Reject` when its `Hello` label
    /// `service` is no longer (or never was) allowed.
    private mutating func refreshAuthorization(agentID: String, helloService: String?) -> Action? {
        let (authorization, generation) = authorizationState.authorization(
            agentID: agentID, certificate: certificateServices)
        self.authorization = authorization
        authorizationGeneration = generation
        guard let service = helloService, !service.isEmpty, let reason = authorization.refusal(for: service) else {
            return nil
        }
        return reject(
            .unauthorized,
            "Hello label service \(QuotedText.quote(service)) is not allowed for agent \(QuotedText.quote(agentID)): "
                + authorization.explain(reason, service: service))
    }

    /// Removes the body of every record beyond what this connection already sent whose service the agent may
    /// not speak for, and lists it in the batch's refusals.
    private func refuseUnauthorized(in batch: inout IncomingBatch, helloService: String) {
        let sent = batch.previousSeq >= batch.firstSeq ? batch.previousSeq - batch.firstSeq + 1 : 0
        guard sent < UInt64(batch.records.count) else { return }
        for position in Int(sent)..<batch.records.count {
            let service: String
            switch batch.records[position].body {
            case .event(let event): service = event.service
            case .sample(let sample): service = sample.labels["service"] ?? helloService
            case nil: continue
            }
            // A sample that names no service, from an agent whose Hello names none, speaks for no service.
            guard !service.isEmpty, let reason = authorization.refusal(for: service) else { continue }
            batch.records[position].body = nil
            batch.refusals.append(.init(position: position, reason: reason, service: service))
        }
    }

    private mutating func reject(_ code: Vigil_V1_Reject.Code, _ message: String) -> Action {
        state = .closed
        return .reject(Rejection(code: code, message: message))
    }

    static func helloBoundsProblem(_ hello: Vigil_V1_Hello, limits: RecordLimits) -> String? {
        if hello.hostname.utf8.count > 255 { return "Hello hostname is longer than 255 bytes" }
        if hello.agentVersion.utf8.count > limits.maxNameBytes {
            return "Hello agent_version is longer than \(limits.maxNameBytes) bytes"
        }
        if hello.labels.count > limits.maxMapEntries {
            return "Hello has \(hello.labels.count) labels; the limit is \(limits.maxMapEntries)"
        }
        for (key, value) in hello.labels {
            if key.isEmpty || key.utf8.count > limits.maxKeyBytes {
                return "Hello label keys must be 1 to \(limits.maxKeyBytes) bytes"
            }
            if value.utf8.count > limits.maxValueBytes {
                return "Hello label \(quote(key)) is longer than \(limits.maxValueBytes) bytes"
            }
        }
        return nil
    }

    static func quote(_ text: String) -> String {
        "\"" + String(text.prefix(64)).unicodeScalars.map { $0.value < 0x20 ? "?" : String($0) }.joined() + "\""
    }
}
