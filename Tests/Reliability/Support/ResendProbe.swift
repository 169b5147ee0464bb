import Foundation
import GRDB
import VigilProtocol
import VigilTestSupport

/// Sends, as agent `n` on its own stream, a batch of records the hub already stored: what the agent sends when
/// the acknowledgement of a stored batch was lost and the hub's `Welcome` did not cover it yet. A correct hub
/// skips every one of them by seq (its hwm), stores nothing and acknowledges the batch.
///
/// No fault of the matrix makes a correct pair resend a stored record: the hub answers `Hello` only after
/// everything queued before it was committed, so `Welcome`'s resume point is exact, and a dead connection's
/// frames are read (and queued) before the hub sees its close; frames still in the network die with it. Only
/// frames that reach the hub after the next connection's `Hello` would be resent and skipped by seq. The probe
/// makes that resend happen in every scenario, so the hwm path is checked in each, whatever its faults.
enum ResendProbe {
    struct Outcome: Sendable {
        /// The seqs sent again.
        var seqs: ClosedRange<Int64>
        /// The hub's `Ack.through_seq`, if it acknowledged the batch.
        var ackedThrough: UInt64?
        /// The hub's `Reject`, if any.
        var reject: String?
    }

    /// Replays up to `count` stored records of agent `n`'s current stream, from its lowest stored seq, to the
    /// hub at `port` (the fleet's hub unless given: another replica of a shared store).
    static func replay(_ fleet: Fleet, agent n: Int, count: Int = 200, port: Int? = nil) throws -> Outcome {
        let streamID = try SeqAudit.readAgent(fleet.agentDatabase(n)).streamID
        let agentID = "web-0\(n)"
        let (first, records) = try Fleet.readOnly(try fleet.hubSnapshot()).read {
            db -> (Int64, [Vigil_V1_Record]) in
            guard
                let stream = try Int64.fetchOne(
                    db, sql: "SELECT n FROM stream_numbers WHERE agent_id = ? AND stream_id = ?",
                    arguments: [agentID, streamID]),
                let first = try Int64.fetchOne(
                    db,
                    sql: "SELECT min(seq) FROM (SELECT seq FROM events WHERE stream = ?1 "
                        + "UNION ALL SELECT seq FROM samples WHERE stream = ?1)",
                    arguments: [stream])
            else { throw TestFailure("the hub stored nothing of agent \(n)'s stream") }
            // Only what the hub's hwm covers: a seq above it would be new to the hub and stored, not skipped.
            let hwm =
                try Int64.fetchOne(
                    db, sql: "SELECT hwm FROM streams WHERE agent_id = ? AND stream_id = ?",
                    arguments: [agentID, streamID]) ?? 0
            var bySeq: [Int64: Vigil_V1_Record] = [:]
            let last = min(first + Int64(count) - 1, hwm)
            guard last >= first else { throw TestFailure("agent \(n)'s stream has no seq at or below its hwm \(hwm)") }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, time_unix_nano, event_id, service, version, name, outcome, duration_ms, error_category
                    FROM events WHERE stream = ? AND seq BETWEEN ? AND ?
                    """, arguments: [stream, first, last])
            {
                var event = Vigil_V1_Event()
                event.timeUnixNano = row[1]
                event.eventID = row[2]
                event.service = row[3]
                event.version = row[4]
                event.name = row[5]
                event.outcome = Vigil_V1_Outcome(rawValue: row[6]) ?? .ok
                event.durationMs = row[7]
                event.errorCategory = row[8]
                bySeq[row[0]] = Vigil_V1_Record.with { $0.event = event }
            }
            for row in try Row.fetchAll(
                db,
                sql: "SELECT seq, time_unix_nano, metric, value FROM samples WHERE stream = ? AND seq BETWEEN ? AND ?",
                arguments: [stream, first, last])
            {
                var sample = Vigil_V1_Sample()
                sample.timeUnixNano = row[1]
                sample.metric = row[2]
                sample.value = row[3]
                bySeq[row[0]] = Vigil_V1_Record.with { $0.sample = sample }
            }
            // A seq the hub skipped as a repeated event id holds no row; any valid record stands in for it.
            let filler = Vigil_V1_Record.with {
                $0.sample.timeUnixNano = LoadGenerator.nowNanos()
                $0.sample.metric = "probe.resend"
            }
            return (first, (first...last).map { bySeq[$0] ?? filler })
        }
        var hello = TLSProbe.hello(agentID)
        hello.hello.streamID = streamID
        var batch = Vigil_V1_Frame()
        batch.batch.firstSeq = UInt64(first)
        batch.batch.records = records
        let certificates = fleet.certificates
        let outcome = try TLSProbe.run(
            port: port ?? fleet.listenPort,
            arguments: TLSProbe.identity(agentID, in: certificates, ca: "\(certificates)/ca.pem"),
            input: try TLSProbe.framed(hello), then: try TLSProbe.framed(batch), waitForClose: false, holdOpen: 2)
        var result = Outcome(seqs: first...(first + Int64(records.count) - 1))
        for frame in outcome.frames {
            if case .ack(let ack) = frame.body { result.ackedThrough = ack.throughSeq }
        }
        result.reject = outcome.reject.map { "\($0.code): \($0.message)" }
        return result
    }
}
