import Testing

@testable import VigilAgent

@Suite("Shipper state machine")
struct ShipperStateMachineTests {
    @Test("nothing is sent before Welcome, and Welcome resumes the buffer after the hub's seq")
    func welcomeResumes() {
        var machine = ShipperStateMachine(maxInFlight: 2)
        #expect(machine.nextSend() == .wait)
        #expect(machine.connected() == .sendHello)
        #expect(machine.nextSend() == .wait)
        #expect(machine.welcomed(resumeAfterSeq: 41) == [.resume(after: 41), .readBatch(after: 41)])
    }

    @Test("batches are capped at the limits the hub announces in Welcome, never raised above the agent's own")
    func welcomeCapsBatches() {
        let own = ShipperStateMachine.BatchLimits(maxRecords: 100_000, maxBytes: 8 << 20)
        var machine = ShipperStateMachine(maxInFlight: 2, limits: own)
        _ = machine.connected()
        _ = machine.welcomed(resumeAfterSeq: 0, maxBatchRecords: 10_000, maxBatchBytes: 1 << 20, maxFrameBytes: 4 << 20)
        #expect(machine.batchLimits == .init(maxRecords: 10_000, maxBytes: 1 << 20))
        var older = ShipperStateMachine(maxInFlight: 2, limits: .init(maxRecords: 500, maxBytes: 1 << 20))
        _ = older.connected()
        _ = older.welcomed(resumeAfterSeq: 0, maxFrameBytes: 16 << 20)
        #expect(older.batchLimits == .init(maxRecords: 500, maxBytes: 1 << 20))
    }

    @Test("the window holds at most maxInFlight batches and an ack reopens it")
    func windowBounded() {
        var machine = ShipperStateMachine(maxInFlight: 2)
        _ = machine.connected()
        _ = machine.welcomed(resumeAfterSeq: 0)
        #expect(machine.sending(firstSeq: 1, lastSeq: 10) == .readBatch(after: 10))
        #expect(machine.sending(firstSeq: 11, lastSeq: 20) == .wait)
        #expect(machine.acked(through: 10) == [.deleteThrough(10), .readBatch(after: 20)])
        #expect(machine.inFlightCount == 1)
    }

    @Test("a partial ack keeps the rest of the batch in flight")
    func partialAck() {
        var machine = ShipperStateMachine(maxInFlight: 1)
        _ = machine.connected()
        _ = machine.welcomed(resumeAfterSeq: 0)
        _ = machine.sending(firstSeq: 1, lastSeq: 10)
        #expect(machine.acked(through: 5) == [.deleteThrough(5), .wait])
        #expect(machine.acked(through: 10) == [.deleteThrough(10), .readBatch(after: 10)])
    }

    @Test("an old ack is ignored; an ack beyond what was sent ends the connection")
    func badAcks() {
        var machine = ShipperStateMachine(maxInFlight: 4)
        _ = machine.connected()
        _ = machine.welcomed(resumeAfterSeq: 100)
        _ = machine.sending(firstSeq: 101, lastSeq: 110)
        #expect(machine.acked(through: 99) == [])
        guard case .close(let reason) = machine.acked(through: 111).first else {
            Issue.record("expected close")
            return
        }
        #expect(reason.contains("111"))
    }

    @Test("an ack before Welcome and a second Welcome are protocol errors")
    func outOfOrder() {
        var machine = ShipperStateMachine(maxInFlight: 4)
        _ = machine.connected()
        if case .close = machine.acked(through: 1).first {} else { Issue.record("ack before Welcome accepted") }
        var again = ShipperStateMachine(maxInFlight: 4)
        _ = again.connected()
        _ = again.welcomed(resumeAfterSeq: 0)
        if case .close = again.welcomed(resumeAfterSeq: 0).first {} else { Issue.record("second Welcome accepted") }
    }

    @Test("a batch that does not follow the last sent seq is refused (a gap from drop_oldest is allowed)")
    func batchOrder() {
        var machine = ShipperStateMachine(maxInFlight: 4)
        _ = machine.connected()
        _ = machine.welcomed(resumeAfterSeq: 10)
        #expect(machine.sending(firstSeq: 15, lastSeq: 20) == .readBatch(after: 20))
        if case .close = machine.sending(firstSeq: 18, lastSeq: 25) {
        } else {
            Issue.record("overlapping batch accepted")
        }
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("ceilings double from the base up to the cap")
    func ceilings() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(30))
        var random = SystemRandomNumberGenerator()
        var ceilings: [Duration] = []
        for _ in 0..<12 {
            ceilings.append(backoff.ceiling)
            _ = backoff.nextDelay(using: &random)
        }
        #expect(ceilings.prefix(4) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(ceilings.last == .seconds(30))
        for _ in 0..<100 { _ = backoff.nextDelay(using: &random) }
        #expect(backoff.ceiling == .seconds(30), "no overflow after many failures")
        backoff.reset()
        #expect(backoff.ceiling == .milliseconds(100))
    }

    @Test("delays are full jitter: within 0 and the ceiling, spread across it")
    func fullJitter() {
        var backoff = Backoff(base: .seconds(1), cap: .seconds(1))
        var random = SystemRandomNumberGenerator()
        let delays = (0..<1000).map { _ in backoff.nextDelay(using: &random) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .seconds(1) })
        #expect(delays.contains { $0 < .milliseconds(100) } && delays.contains { $0 > .milliseconds(900) })
    }
}
