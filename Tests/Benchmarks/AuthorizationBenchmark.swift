import Foundation
import VigilHub
import VigilProtocol

/// What the hub's per-record authorization check costs: the receiver's protocol logic taking Batch frames of
/// 1,000 events (validation included, as on every batch) with no restriction (the check is skipped), with a
/// certificate and a policy that allow every record (each record is checked), and with one record in ten
/// refused (checked, emptied and listed). The first is the reference the other two are measured against.
enum AuthorizationBenchmark {
    static func run() throws {
        let records = (0..<CodecBenchmark.eventsPerBatch).map(CodecBenchmark.makeRecord)
        var refusing = records
        for index in stride(from: 0, to: refusing.count, by: 10) { refusing[index].event.service = "payments" }
        let policy = AuthorizationPolicy(
            default: .deny, rules: [.init(match: "web-*", services: .only(["checkout", "search"]))])
        let certified = PeerIdentity(
            commonName: "web-01", dnsNames: ["web-01"],
            uris: ["vigil:service:checkout", "vigil:service:checkout-worker", "vigil:service:payments"])
        let open = PeerIdentity(commonName: "web-01", dnsNames: ["web-01"])
        let batches = 400
        let unrestricted = measure(batches: batches, records: records, peer: open, policy: nil)
        let checked = measure(batches: batches, records: records, peer: certified, policy: policy)
        let refused = measure(batches: batches, records: refusing, peer: certified, policy: policy)

        Report.section("Authorization check in the receiver (Batch of \(records.count) events, validation included)")
        let perRecord = { (figure: CodecBenchmark.Figure) in figure.seconds / Double(figure.batches * records.count) }
        for (label, figure) in [
            ("no restriction (reference)", unrestricted), ("every record checked, all allowed", checked),
            ("every record checked, 1 in 10 refused", refused),
        ] {
            Report.line(label, String(format: "%.0f ns per record", perRecord(figure) * 1e9))
        }
        Report.line(
            "cost of the check",
            String(format: "%.0f ns per record", (perRecord(checked) - perRecord(unrestricted)) * 1e9))
        Report.line(
            "cost with refusals",
            String(format: "%.0f ns per record", (perRecord(refused) - perRecord(unrestricted)) * 1e9))
    }

    /// Feeds `batches` Batch frames of `records` to one connection's state machine (after its Hello), completing
    /// each as committed, and times it.
    static func measure(
        batches: Int, records: [Vigil_V1_Record], peer: PeerIdentity, policy: AuthorizationPolicy?
    ) -> CodecBenchmark.Figure {
        var machine = ConnectionStateMachine(
            settings: .init(hubID: "bench", maxBatchRecords: 10_000), authorization: AuthorizationState(policy))
        var hello = Vigil_V1_Frame()
        hello.hello = .with {
            $0.protocolVersion = WireProtocol.version
            $0.agentID = "web-01"
            $0.streamID = Data(repeating: 1, count: 16)
            $0.labels = ["service": "checkout"]
        }
        guard case .openStream = machine.received(hello, peer: peer) else { fatalError("Hello refused") }
        _ = machine.streamOpened(resumeAfterSeq: 0)
        var seq: UInt64 = 1
        func frame() -> Vigil_V1_Frame {
            var frame = Vigil_V1_Frame()
            frame.batch = .with {
                $0.firstSeq = seq
                $0.records = records
            }
            seq += UInt64(records.count)
            return frame
        }
        var refused = 0
        func one() -> Int {
            guard case .store(let batch) = machine.received(frame(), peer: peer) else { fatalError("batch refused") }
            refused += batch.refusals.count
            _ = machine.batchCommitted(BatchOutcome(throughSeq: batch.lastSeq))
            return batch.records.count
        }
        for _ in 0..<20 { _ = one() }
        let frames = (0..<batches).map { _ in frame() }
        let start = ContinuousClock.now
        var count = 0
        for frame in frames {
            guard case .store(let batch) = machine.received(frame, peer: peer) else { fatalError("batch refused") }
            refused += batch.refusals.count
            count += batch.records.count
            _ = machine.batchCommitted(BatchOutcome(throughSeq: batch.lastSeq))
        }
        let elapsed = ContinuousClock.now - start
        // The refusing run must refuse (and the others must not), or its figure measures something else.
        precondition(count == batches * records.count)
        precondition((refused > 0) == records.contains { $0.event.service == "payments" })
        return CodecBenchmark.Figure(seconds: elapsed.seconds, batches: batches, bytes: count)
    }
}
