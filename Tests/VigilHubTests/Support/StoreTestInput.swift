import Foundation
import VigilProtocol

@testable import VigilHub

/// What the store suites build their input from: an agent's Hello and a batch of one stream, at a fixed time.
protocol StoreTestInput {}

extension StoreTestInput {
    var now: Int64 { 1_700_000_100_000_000_000 }

    func hello(_ agent: String = "web-01", stream: UInt8 = 1, labels: [String: String] = [:]) -> AgentHello {
        AgentHello(
            agentID: agent, streamID: Records.stream(stream), hostname: "host-\(agent)", agentVersion: "0.1.0",
            labels: labels)
    }

    func batch(
        _ agent: String = "web-01", stream: UInt8 = 1, first: UInt64, _ records: [Vigil_V1_Record]
    ) -> IncomingBatch {
        IncomingBatch(agentID: agent, streamID: Records.stream(stream), firstSeq: first, records: records)
    }
}
