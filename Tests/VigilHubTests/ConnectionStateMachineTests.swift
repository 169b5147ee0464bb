import Foundation
import Testing
import VigilHub
import VigilProtocol

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    let settings = ConnectionStateMachine.Settings(hubID: "hub-a", maxFrameBytes: 4096, maxBatchRecords: 3)
    let peer = PeerIdentity(commonName: "web-01", dnsNames: ["web-01", "web-01.internal"])

    func rejection(_ action: ConnectionStateMachine.Action) -> ConnectionStateMachine.Rejection? {
        if case .reject(let rejection) = action { return rejection }
        return nil
    }

    /// A machine that has accepted Hello and sent Welcome with `resume`.
    func streaming(resume: UInt64 = 0) -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(settings: settings)
        _ = machine.received(Records.hello(), peer: peer)
        _ = machine.streamOpened(resumeAfterSeq: resume)
        return machine
    }

    @Test("a valid Hello opens the stream, then Welcome carries the stored high-water mark")
    func helloThenWelcome() throws {
        var machine = ConnectionStateMachine(settings: settings)
        guard case .openStream(let hello) = machine.received(Records.hello(), peer: peer) else {
            Issue.record("expected openStream")
            return
        }
        #expect(hello.agentID == "web-01")
        #expect(hello.streamID == Records.stream(1))
        #expect(hello.labels["service"] == "checkout")
        #expect(!machine.wantsRead)
        guard case .send(let frame) = machine.streamOpened(resumeAfterSeq: 41), case .welcome(let welcome) = frame.body
        else {
            Issue.record("expected Welcome")
            return
        }
        #expect(welcome.protocolVersion == 1)
        #expect(welcome.resumeAfterSeq == 41)
        #expect(welcome.maxFrameBytes == 4096)
        #expect(welcome.maxBatchRecords == 3)
        #expect(welcome.maxBatchBytes == 4096)
        #expect(welcome.hubID == "hub-a")
        #expect(machine.wantsRead)
    }

    @Test("a Hello whose agent id is a DNS name of the certificate is accepted")
    func helloMatchesDNSName() {
        var machine = ConnectionStateMachine(settings: settings)
        let action = machine.received(Records.hello(agentID: "web-01.internal"), peer: peer)
        guard case .openStream = action else {
            Issue.record("expected openStream, got \(action)")
            return
        }
    }

    @Test("any frame but Hello first is rejected as a protocol error")
    func firstFrameMustBeHello() {
        var machine = ConnectionStateMachine(settings: settings)
        let rejected = rejection(machine.received(Records.batch(firstSeq: 1, Records.events(1...1)), peer: peer))
        #expect(rejected?.code == .protocol)
        #expect(rejected?.message.contains("expected Hello") == true)
        #expect(machine.isClosed)
    }

    @Test("a Hello with another protocol version is rejected as unsupported")
    func unsupportedVersion() {
        var machine = ConnectionStateMachine(settings: settings)
        #expect(rejection(machine.received(Records.hello(version: 2), peer: peer))?.code == .unsupportedVersion)
    }

    @Test("a Hello whose agent id the certificate does not name is unauthorized")
    func wrongAgentID() {
        var machine = ConnectionStateMachine(settings: settings)
        let rejected = rejection(machine.received(Records.hello(agentID: "web-02"), peer: peer))
        #expect(rejected?.code == .unauthorized)
        #expect(rejected?.message.contains("CN=web-01") == true)
    }

    @Test("a Hello without a verified certificate is unauthorized")
    func noPeer() {
        var machine = ConnectionStateMachine(settings: settings)
        #expect(rejection(machine.received(Records.hello(), peer: nil))?.code == .unauthorized)
    }

    @Test("a Hello with an empty agent id is unauthorized even against a certificate without names")
    func emptyAgentID() {
        var machine = ConnectionStateMachine(settings: settings)
        let nameless = PeerIdentity(commonName: nil, dnsNames: [])
        #expect(rejection(machine.received(Records.hello(agentID: ""), peer: nameless))?.code == .unauthorized)
    }

    @Test("a Hello whose stream id is not 16 bytes is a protocol error")
    func shortStreamID() {
        var machine = ConnectionStateMachine(settings: settings)
        let rejected = rejection(machine.received(Records.hello(streamID: Data([1, 2, 3])), peer: peer))
        #expect(rejected?.code == .protocol)
        #expect(rejected?.message.contains("16 bytes") == true)
    }

    @Test("a Hello with too many labels is a protocol error")
    func tooManyLabels() {
        var machine = ConnectionStateMachine(settings: settings)
        var labels: [String: String] = [:]
        for i in 0..<100 { labels["k\(i)"] = "v" }
        #expect(rejection(machine.received(Records.hello(labels: labels), peer: peer))?.code == .protocol)
    }

    @Test("a second Hello is a protocol error")
    func secondHello() {
        var machine = streaming()
        #expect(rejection(machine.received(Records.hello(), peer: peer))?.code == .protocol)
    }

    @Test("a Batch before Welcome was sent is a protocol error")
    func batchWhileOpening() {
        var machine = ConnectionStateMachine(settings: settings)
        _ = machine.received(Records.hello(), peer: peer)
        let rejected = rejection(machine.received(Records.batch(firstSeq: 1, Records.events(1...1)), peer: peer))
        #expect(rejected?.code == .protocol)
    }

    @Test("a Welcome or Ack from an agent is a protocol error")
    func hubFramesFromAgent() {
        for frame in [Vigil_V1_Frame.welcomeForTest, .ackForTest, Vigil_V1_Frame()] {
            var machine = streaming()
            #expect(rejection(machine.received(frame, peer: peer))?.code == .protocol)
        }
    }

    @Test("a Reject from the agent closes without answering")
    func agentRejects() {
        var machine = streaming()
        var frame = Vigil_V1_Frame()
        frame.reject = Vigil_V1_Reject()
        guard case .close = machine.received(frame, peer: peer) else {
            Issue.record("expected close")
            return
        }
        #expect(machine.isClosed)
    }

    @Test("a valid Batch is stored, and its commit is acknowledged through its own last seq")
    func batchStoredThenAcked() {
        var machine = streaming(resume: 10)
        guard case .store(let batch) = machine.received(Records.batch(firstSeq: 11, Records.events(1...3)), peer: peer)
        else {
            Issue.record("expected store")
            return
        }
        #expect(batch.firstSeq == 11)
        #expect(batch.lastSeq == 13)
        #expect(batch.agentID == "web-01")
        #expect(machine.pendingBatches == 1)
        var outcome = BatchOutcome(throughSeq: 13)
        outcome.events = 3
        guard case .send(let frame) = machine.batchCommitted(outcome), case .ack(let ack) = frame.body else {
            Issue.record("expected Ack")
            return
        }
        #expect(ack.throughSeq == 13)
        #expect(machine.pendingBatches == 0)
    }

    @Test("each Batch names what the connection sent before it, and a refused predecessor ends the connection")
    func predecessorTracked() {
        var machine = streaming(resume: 10)
        guard case .store(let first) = machine.received(Records.batch(firstSeq: 11, Records.events(1...3)), peer: peer),
            case .store(let second) = machine.received(Records.batch(firstSeq: 14, Records.events(4...5)), peer: peer)
        else {
            Issue.record("expected two stores")
            return
        }
        #expect(first.previousSeq == 10 && second.previousSeq == 13)
        var refused = BatchOutcome(throughSeq: 10)
        refused.predecessorMissing = true
        guard case .reject(let rejection) = machine.batchCommitted(refused) else {
            Issue.record("expected a Reject")
            return
        }
        #expect(rejection.code == .overloaded)
    }

    @Test("a Batch that is empty, starts at seq 0, or overflows the seq range is a protocol error")
    func badSeqs() {
        var empty = streaming()
        #expect(rejection(empty.received(Records.batch(firstSeq: 1, []), peer: peer))?.code == .protocol)
        var zero = streaming()
        #expect(
            rejection(zero.received(Records.batch(firstSeq: 0, Records.events(1...1)), peer: peer))?.code == .protocol)
        var overflow = streaming()
        #expect(
            rejection(overflow.received(Records.batch(firstSeq: UInt64.max - 1, Records.events(1...2)), peer: peer))?
                .code == .protocol)
    }

    @Test("a Batch that overlaps what was resumed or sent is stored after the connection's last seq, not refused")
    func overlappingBatchIsAccepted() {
        var machine = streaming(resume: 2000)
        guard case .store(let behind) = machine.received(Records.batch(firstSeq: 1, Records.events(1...3)), peer: peer)
        else {
            Issue.record("a batch below the resumed seq must go to the store, which skips and acks it")
            return
        }
        #expect(behind.firstSeq == 1 && behind.lastSeq == 3)
        // The store refuses it unless everything through the connection's position is stored.
        #expect(behind.previousSeq == 2000)
        guard case .store(let next) = machine.received(Records.batch(firstSeq: 2001, Records.events(1...2)), peer: peer)
        else {
            Issue.record("expected the following batch to be stored")
            return
        }
        #expect(next.previousSeq == 2000)
        guard
            case .store(let overlap) = machine.received(
                Records.batch(firstSeq: 2002, Records.events(1...3)), peer: peer)
        else {
            Issue.record("expected the overlapping batch to be stored")
            return
        }
        #expect(overlap.previousSeq == 2002)
        guard case .send(let frame) = machine.batchCommitted(BatchOutcome(throughSeq: 3)),
            case .ack(let ack) = frame.body
        else {
            Issue.record("expected an Ack")
            return
        }
        #expect(ack.throughSeq == 3)
    }

    @Test("a Batch over max_batch_records is rejected as too large")
    func tooManyRecords() {
        var machine = streaming()
        #expect(
            rejection(machine.received(Records.batch(firstSeq: 1, Records.events(1...4)), peer: peer))?.code
                == .tooLarge)
    }

    @Test("one invalid record rejects the whole Batch, naming its seq and field")
    func invalidRecord() {
        var machine = streaming()
        var bad = Records.event(2)
        bad.event.service = ""
        let rejected = rejection(
            machine.received(Records.batch(firstSeq: 5, [Records.event(1), bad, Records.event(3)]), peer: peer))
        #expect(rejected?.code == .protocol)
        #expect(rejected?.message.contains("seq 6") == true)
        #expect(rejected?.message.contains("event.service") == true)
    }

    @Test("an oversize frame is rejected as too large, other frame errors as protocol errors")
    func frameErrors() {
        var large = streaming()
        let tooLarge = FrameError(code: .tooLarge, message: "frame length 99999 bytes exceeds the limit")
        #expect(rejection(large.frameError(tooLarge))?.code == .tooLarge)
        var garbage = streaming()
        let undecodable = FrameError(code: .undecodable, message: "not a Frame")
        #expect(rejection(garbage.frameError(undecodable))?.code == .protocol)
        var zero = ConnectionStateMachine(settings: settings)
        #expect(rejection(zero.frameError(FrameError(code: .zeroLength, message: "0")))?.code == .protocol)
    }

    @Test("a connection over the limit is rejected as overloaded once TLS is up")
    func overloaded() {
        var machine = ConnectionStateMachine(settings: settings, overloaded: true)
        #expect(rejection(machine.handshakeCompleted())?.code == .overloaded)
        var normal = ConnectionStateMachine(settings: settings)
        guard case .none = normal.handshakeCompleted() else {
            Issue.record("expected no action")
            return
        }
    }

    @Test("a store failure rejects as overloaded so the agent retries later")
    func storeFailure() {
        var machine = streaming()
        _ = machine.received(Records.batch(firstSeq: 1, Records.events(1...1)), peer: peer)
        let failure = StoreError(code: .full, message: "disk full")
        #expect(rejection(machine.storeFailed(failure, batch: true))?.code == .overloaded)
        #expect(machine.pendingBatches == 0)
    }

    @Test("no Hello in time is a protocol error; after a rejection nothing more happens")
    func timeoutAndClosed() {
        var machine = ConnectionStateMachine(settings: settings)
        #expect(rejection(machine.helloTimedOut(after: 10))?.code == .protocol)
        guard case .none = machine.received(Records.hello(), peer: peer) else {
            Issue.record("expected no action after close")
            return
        }
        #expect(!machine.wantsRead)
    }

    @Test("reading pauses while max pending batches await commit")
    func readPausesWhenPendingFull() {
        var machine = streaming()
        for n in 1...8 {
            _ = machine.received(Records.batch(firstSeq: UInt64(n), [Records.event(n)]), peer: peer)
        }
        #expect(machine.pendingBatches == 8)
        #expect(!machine.wantsRead)
        _ = machine.batchCommitted(BatchOutcome(throughSeq: 1))
        #expect(machine.wantsRead)
    }

    @Test("closing reports the agent whose stream was opened")
    func closedReportsAgent() {
        var machine = streaming()
        #expect(machine.connectionClosed() == "web-01")
        var never = ConnectionStateMachine(settings: settings)
        #expect(never.connectionClosed() == nil)
    }
}

extension Vigil_V1_Frame {
    static var welcomeForTest: Vigil_V1_Frame {
        var frame = Vigil_V1_Frame()
        frame.welcome = Vigil_V1_Welcome()
        return frame
    }

    static var ackForTest: Vigil_V1_Frame {
        var frame = Vigil_V1_Frame()
        frame.ack = Vigil_V1_Ack()
        return frame
    }
}
