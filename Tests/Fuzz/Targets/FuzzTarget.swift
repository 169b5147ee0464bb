import Foundation
import NIOCore
import SwiftProtobuf
import VigilAgent
import VigilHub
import VigilProtocol

/// The decoders that take bytes from outside, one fuzz entry point each (issue 6, item 12).
///
/// Each entry point must return for every input without trapping and must hold the decoder's own
/// invariants (checked with `precondition`, so a violation is a crash libFuzzer keeps). The same
/// functions run under libFuzzer (`make fuzz`, driver `vigil-fuzz`) and in `make test`, where
/// ReliabilityTests replays the committed seed corpus and every crash input found so far.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The 4-byte length prefix framing (`FrameParser`) and `Frame` decoding.
    case frame
    /// A whole agent conversation fed to the hub's `ConnectionStateMachine`: Hello, Batches, anything.
    case hubSession = "hub-session"
    /// One JSON-lines ingest line: parsing and the agent's record preparation and validation.
    case jsonIngest = "json-ingest"
    /// `agent.yaml` and `hub.yaml` loading.
    case config

    /// Runs the target on one input.
    public func run(_ input: [UInt8]) {
        switch self {
        case .frame: Self.frame(input)
        case .hubSession: Self.hubSession(input)
        case .jsonIngest: Self.jsonIngest(input)
        case .config: Self.config(input)
        }
    }

    /// The directory of the seed corpus and of kept crash inputs, under `Tests/Fuzz`.
    public var directoryName: String { rawValue }

    static let smallFrameLimit = 64 * 1024

    static func frame(_ input: [UInt8]) {
        let parser = FrameParser(maxFrameBytes: smallFrameLimit)
        var buffer = ByteBuffer(bytes: input)
        while true {
            let before = buffer.readableBytes
            do {
                guard let payload = try parser.nextPayload(from: &buffer) else { break }
                precondition(payload.readableBytes >= 1 && payload.readableBytes <= smallFrameLimit, "payload size")
                precondition(buffer.readableBytes == before - 4 - payload.readableBytes, "consumed exactly one frame")
                _ = try? LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload)
                checkFastPath(Array(payload.readableBytesView))
            } catch {
                precondition(buffer.readableBytes == before, "a framing error consumes nothing")
                break
            }
        }
    }

    /// `RecordWireDecoder` against swift-protobuf on the same bytes, read as a frame (the hub) and as a
    /// record (the agent): whatever the fast path returns, swift-protobuf must decode identically.
    static func checkFastPath(_ bytes: [UInt8]) {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        func encoded(_ message: some SwiftProtobuf.Message) -> [UInt8]? {
            try? message.serializedBytes(options: options)
        }
        if let fast = bytes.withUnsafeBytes({ RecordWireDecoder.frame($0) }) {
            let reference = try? Vigil_V1_Frame(serializedBytes: bytes)
            precondition(reference.flatMap(encoded) == encoded(fast), "fast frame decoding differs from swift-protobuf")
        }
        if let fast = bytes.withUnsafeBytes({ RecordWireDecoder.record($0) }) {
            let reference = try? Vigil_V1_Record(serializedBytes: bytes)
            precondition(
                reference.flatMap(encoded) == encoded(fast), "fast record decoding differs from swift-protobuf")
        }
    }

    static func hubSession(_ input: [UInt8]) {
        let parser = FrameParser(maxFrameBytes: smallFrameLimit)
        var machine = ConnectionStateMachine(
            settings: .init(hubID: "fuzz", maxFrameBytes: smallFrameLimit, maxBatchRecords: 64))
        let peer = PeerIdentity(commonName: "web-01", dnsNames: ["web-01.fuzz"])
        var buffer = ByteBuffer(bytes: input)
        var rejected = false
        _ = machine.handshakeCompleted()
        while !machine.isClosed {
            let frame: Vigil_V1_Frame
            do {
                guard let payload = try parser.nextPayload(from: &buffer) else { break }
                frame = try LengthPrefixedMessageDecoder<Vigil_V1_Frame>.decodeMessage(payload)
            } catch {
                rejected = isReject(machine.frameError(error)) || rejected
                break
            }
            var action = machine.received(frame, peer: peer)
            while true {
                switch action {
                case .openStream(let hello):
                    precondition(peer.permits(agentID: hello.agentID), "a Hello for another agent was accepted")
                    action = machine.streamOpened(resumeAfterSeq: 0)
                case .store(let batch):
                    precondition(!rejected, "stored after a Reject")
                    precondition(!batch.records.isEmpty && batch.records.count <= 64, "batch bounds")
                    action = machine.batchCommitted(BatchOutcome(throughSeq: batch.lastSeq))
                case .reject:
                    rejected = true
                    action = .none
                case .send, .close, .none:
                    action = .none
                }
                if case .none = action { break }
            }
        }
        _ = machine.connectionClosed()
    }

    private static func isReject(_ action: ConnectionStateMachine.Action) -> Bool {
        if case .reject = action { return true }
        return false
    }

    static func jsonIngest(_ input: [UInt8]) {
        let preparer = RecordPreparer(service: "checkout", version: "1.4.0")
        guard let record = try? JSONRecordParser.parse(input) else { return }
        guard
            let bytes = try? preparer.prepare(
                record: record, peer: nil, nowUnixNano: 1_700_000_000_000_000_000,
                newEventID: { Data(repeating: 7, count: 16) })
        else { return }
        // What the agent stores must decode back to a record the hub's validator accepts.
        let stored = try? Vigil_V1_Record(serializedBytes: bytes)
        precondition(stored != nil, "a prepared record does not decode")
        if let stored { precondition((try? RecordValidator().validate(stored)) != nil, "prepared record invalid") }
    }

    static func config(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        _ = try? AgentConfiguration.load(yaml: text, source: "fuzz.yaml")
        _ = try? HubConfiguration.load(yaml: text, source: "fuzz.yaml")
    }
}
