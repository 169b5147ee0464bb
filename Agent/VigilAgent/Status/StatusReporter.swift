import Foundation
import Logging
import ServiceLifecycle

/// Writes an ``AgentStatus`` into the buffer database every `interval`, and once more on shutdown.
public final class StatusReporter: Service, Sendable {
    private let agentID: String
    private let buffer: RecordBuffer
    private let ingest: IngestStats
    private let shipper: ShipperStats
    private let interval: Duration
    private let startedUnixNano: Int64
    private let now: @Sendable () -> Int64
    private let logger: Logger

    /// Creates a reporter.
    public init(
        agentID: String,
        buffer: RecordBuffer,
        ingest: IngestStats,
        shipper: ShipperStats,
        interval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) },
        logger: Logger = Logger(label: "vigil.agent.status")
    ) {
        self.agentID = agentID
        self.buffer = buffer
        self.ingest = ingest
        self.shipper = shipper
        self.interval = interval
        self.now = now
        self.startedUnixNano = now()
        self.logger = logger
    }

    /// Reports until graceful shutdown.
    public func run() async {
        await cancelWhenGracefulShutdown {
            var previous: (time: Int64, durable: UInt64, acked: UInt64)?
            while !Task.isCancelled {
                previous = await self.report(previous: previous)
                try? await Task.sleep(for: self.interval)
            }
        }
        _ = await report(previous: nil)
    }

    private func report(previous: (time: Int64, durable: UInt64, acked: UInt64)?) async -> (Int64, UInt64, UInt64) {
        let time = now()
        let ingestSnapshot = ingest.snapshot
        let shipperSnapshot = shipper.snapshot
        var ingestRate = 0.0
        var shipRate = 0.0
        if let previous, time > previous.time {
            let seconds = Double(time - previous.time) / 1e9
            ingestRate = Double(ingestSnapshot.durable &- previous.durable) / seconds
            shipRate = Double(shipperSnapshot.recordsAcked &- previous.acked) / seconds
        }
        let status = AgentStatus(
            agentID: agentID,
            streamID: buffer.streamID.map { String(format: "%02x", $0) }.joined(),
            pid: getpid(),
            startedUnixNano: startedUnixNano,
            updatedUnixNano: time,
            buffer: buffer.stats,
            ingest: ingestSnapshot,
            shipper: shipperSnapshot,
            ingestRate: ingestRate,
            shipRate: shipRate
        )
        do {
            let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
            try await buffer.writeStatus(json: json, at: time)
        } catch {
            logger.debug("status not written", metadata: ["error": "\(error)"])
        }
        return (time, ingestSnapshot.durable, shipperSnapshot.recordsAcked)
    }
}
