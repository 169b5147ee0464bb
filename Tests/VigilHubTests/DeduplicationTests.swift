import Testing
import VigilHub

@Suite("Dedupe decisions and rates")
struct DeduplicationTests {
    @Test("a new stream's first batch from seq 1 is stored whole, no gap")
    func firstBatch() {
        let d = SequenceDecision.decide(highWaterMark: 0, firstSeq: 1, count: 10)
        #expect(d == SequenceDecision(skip: 0, missing: 0, highWaterMark: 10, throughSeq: 10))
    }

    @Test("a batch entirely at or below the high-water mark is skipped and acked through its own last seq")
    func fullDuplicate() {
        let d = SequenceDecision.decide(highWaterMark: 100, firstSeq: 41, count: 10)
        #expect(d == SequenceDecision(skip: 10, missing: 0, highWaterMark: 100, throughSeq: 50))
    }

    @Test("an overlapping batch skips only the seqs already stored")
    func overlap() {
        let d = SequenceDecision.decide(highWaterMark: 15, firstSeq: 11, count: 10)
        #expect(d == SequenceDecision(skip: 5, missing: 0, highWaterMark: 20, throughSeq: 20))
    }

    @Test("a batch starting beyond hwm + 1 is stored and counted as a gap of the missing seqs")
    func gap() {
        let d = SequenceDecision.decide(highWaterMark: 10, firstSeq: 31, count: 5)
        #expect(d.isGap)
        #expect(d == SequenceDecision(skip: 0, missing: 20, highWaterMark: 35, throughSeq: 35))
    }

    @Test("a batch that follows on exactly is not a gap")
    func contiguous() {
        #expect(!SequenceDecision.decide(highWaterMark: 10, firstSeq: 11, count: 1).isGap)
    }

    @Test("the rate meter averages the counts of the last 10 seconds and forgets older ones")
    func rateMeter() {
        var meter = RateMeter(window: 10)
        meter.add(100, atSecond: 1000)
        meter.add(50, atSecond: 1005)
        #expect(meter.perSecond(atSecond: 1005) == 15)
        #expect(meter.perSecond(atSecond: 1009) == 15)
        #expect(meter.perSecond(atSecond: 1010) == 5)
        meter.add(10, atSecond: 1020)  // reuses the slot of second 1000
        #expect(meter.perSecond(atSecond: 1020) == 1)
    }

    @Test("the agents filter parses connected and service, and names a bad parameter")
    func agentsFilter() throws {
        let filter = try AgentsFilter(parameters: [("connected", "true"), ("service", "checkout")])
        #expect(filter == AgentsFilter(connected: true, service: "checkout"))
        #expect(filter.matches(AgentRecord(agentID: "a", labels: ["service": "checkout"], connected: true)))
        #expect(!filter.matches(AgentRecord(agentID: "b", labels: ["service": "checkout"], connected: false)))
        #expect(throws: AdminErrorBody.self) { try AgentsFilter(parameters: [("connected", "maybe")]) }
        do {
            _ = try AgentsFilter(parameters: [("colour", "red")])
        } catch {
            #expect(error.parameter == "colour")
        }
    }
}
