import Foundation
import VigilProtocol

/// Builders for protocol messages in tests.
enum Records {
    static func id(_ n: Int) -> Data {
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: UInt64(n).bigEndian) { bytes.replaceSubrange(8..<16, with: $0) }
        bytes[0] = 0xAB
        return Data(bytes)
    }

    static func event(
        _ n: Int, time: Int64 = 1_700_000_000_000_000_000, service: String = "checkout", version: String = "1.0.0",
        name: String = "request", outcome: Vigil_V1_Outcome = .ok, durationMs: Double = 12.5
    ) -> Vigil_V1_Record {
        var event = Vigil_V1_Event()
        event.eventID = id(n)
        event.timeUnixNano = time + Int64(n)
        event.service = service
        event.version = version
        event.name = name
        event.outcome = outcome
        event.durationMs = durationMs
        event.attributes = ["route": "/pay"]
        var record = Vigil_V1_Record()
        record.event = event
        return record
    }

    static func sample(
        _ n: Int, metric: String = "cpu.utilization", value: Double = 0.5, time: Int64? = nil
    )
        -> Vigil_V1_Record
    {
        var sample = Vigil_V1_Sample()
        sample.timeUnixNano = time ?? (1_700_000_000_000_000_000 + Int64(n))
        sample.metric = metric
        sample.value = value
        var record = Vigil_V1_Record()
        record.sample = sample
        return record
    }

    static func events(_ range: ClosedRange<Int>) -> [Vigil_V1_Record] { range.map { event($0) } }

    static func hello(
        agentID: String = "web-01", streamID: Data = stream(1), version: UInt32 = WireProtocol.version,
        labels: [String: String] = ["service": "checkout", "version": "1.0.0"]
    ) -> Vigil_V1_Frame {
        var hello = Vigil_V1_Hello()
        hello.protocolVersion = version
        hello.agentID = agentID
        hello.streamID = streamID
        hello.hostname = "host-\(agentID)"
        hello.agentVersion = "0.1.0"
        hello.labels = labels
        var frame = Vigil_V1_Frame()
        frame.hello = hello
        return frame
    }

    static func batch(firstSeq: UInt64, _ records: [Vigil_V1_Record]) -> Vigil_V1_Frame {
        var batch = Vigil_V1_Batch()
        batch.firstSeq = firstSeq
        batch.records = records
        var frame = Vigil_V1_Frame()
        frame.batch = batch
        return frame
    }

    static func stream(_ n: UInt8) -> Data { Data(repeating: n, count: 16) }
}
