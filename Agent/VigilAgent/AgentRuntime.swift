import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Everything a running agent consists of, built from its configuration, and the order they stop in.
///
/// Shutdown (SIGTERM/SIGINT) runs in reverse of ``services``: ingest stops accepting and lets its
/// clients receive the acks of what they sent, sampling stops, the shipper drains the backlog for at
/// most `shutdown.drain_timeout`, the status is written one last time, and the committer commits
/// whatever is still queued. Nothing a client was told is durable is lost; anything unshipped stays in
/// the database and ships after the next start.
public struct AgentRuntime: Sendable {
    /// The durable buffer.
    public let buffer: RecordBuffer
    /// The group committer in front of it.
    public let committer: GroupCommitter
    /// The local ingest socket.
    public let ingest: IngestListener
    /// Ingest counters.
    public let ingestStats: IngestStats
    /// The shipper to the hub.
    public let shipper: Shipper
    /// Host sampling.
    public let sampling: SamplingService
    /// Status writer.
    public let status: StatusReporter

    /// Opens the buffer and builds every service for `configuration`.
    public static func make(
        configuration: AgentConfiguration,
        logger: Logger = Logger(label: "vigil.agent"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws -> AgentRuntime {
        let now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }
        let buffer = try RecordBuffer.open(BufferOptions(configuration.buffer), nowUnixNano: now(), logger: logger)
        var shipperOptions = ShipperOptions(
            agentID: configuration.agentID,
            labels: configuration.labels,
            hostname: ProcessInfo.processInfo.hostName,
            endpoints: configuration.endpoints.map { .init(host: $0.host, port: $0.port) }
        )
        shipperOptions.maxBatchRecords = configuration.shipping.maxBatchRecords
        shipperOptions.maxBatchBytes = configuration.shipping.maxBatchBytes
        shipperOptions.maxInFlight = configuration.shipping.maxInFlight
        shipperOptions.backoffBase = configuration.shipping.backoffBase
        shipperOptions.backoffCap = configuration.shipping.backoffCap
        shipperOptions.drainTimeout = configuration.shutdown.drainTimeout
        let tls = ClientTLS(
            files: .init(ca: configuration.tls.ca, cert: configuration.tls.cert, key: configuration.tls.key))
        do {
            tls.services.update(try CertificateServices.read(certificateFile: configuration.tls.cert))
        } catch {
            // The shipper reports the file when it connects; until it loads, the hub alone refuses.
            logger.warning(
                "cannot read the agent certificate for its service names; ingest does not check them until it loads",
                metadata: ["tls.cert": "\(configuration.tls.cert)", "error": "\(error)"])
        }
        if let service = configuration.labels["service"], !tls.services.current.permits(service) {
            logger.error(
                "labels.service is not a service this agent's certificate allows; the hub will refuse its Hello",
                metadata: ["labels.service": "\(service)", "certificate.services": "\(tls.services.current)"])
        }
        let shipper = Shipper(options: shipperOptions, buffer: buffer, tls: tls, group: group, logger: logger)
        shipper.stats.update { $0.certificateServices = tls.services.current.description }
        let committer = GroupCommitter(buffer: buffer, logger: logger) { [shipper] in shipper.recordsCommitted() }
        let ingestStats = IngestStats()
        let context = IngestContext(
            preparer: RecordPreparer(
                service: configuration.labels["service"] ?? "",
                version: configuration.labels["version"] ?? "",
                stampedTimes: buffer.stampedTimes,
                services: tls.services
            ),
            committer: committer,
            stats: ingestStats,
            maxFrameBytes: configuration.ingest.maxFrameBytes,
            maxLineBytes: configuration.ingest.maxLineBytes,
            now: now,
            logger: logger
        )
        let ingest = IngestListener(
            socketPath: configuration.ingest.socket,
            mode: mode_t(configuration.ingest.mode),
            context: context,
            group: group
        )
        let sampling = SamplingService(
            interval: configuration.sampling.interval, committer: committer, now: now, logger: logger
        ) {
            HostSampler(
                configuration: configuration.sampling,
                labels: configuration.labels,
                selfMetrics: AgentSelfMetricsClosure {
                    let stats = buffer.stats
                    return AgentSelfMetricValues(
                        bufferedRecords: UInt64(stats.records),
                        bufferedBytes: UInt64(stats.bytes),
                        droppedRecords: stats.counters.dropped
                    )
                }
            )
        }
        let status = StatusReporter(
            agentID: configuration.agentID,
            buffer: buffer,
            ingest: ingestStats,
            shipper: shipper.stats,
            now: now,
            logger: logger
        )
        return AgentRuntime(
            buffer: buffer,
            committer: committer,
            ingest: ingest,
            ingestStats: ingestStats,
            shipper: shipper,
            sampling: sampling,
            status: status
        )
    }

    /// The services, in start order; they stop in reverse.
    public var services: [any Service] { [committer, status, shipper, sampling, ingest] }

    /// One `ServiceGroup` that stops gracefully on SIGTERM and SIGINT.
    public func serviceGroup(logger: Logger) -> ServiceGroup {
        ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
    }
}

extension BufferOptions {
    /// The buffer settings of an agent configuration.
    public init(_ buffer: AgentConfiguration.Buffer) {
        self.init(
            path: buffer.path,
            maxBytes: buffer.maxBytes,
            whenFull: buffer.whenFull == .rejectNew ? .rejectNew : .dropOldest,
            durability: buffer.durability == .full ? .full : .normal
        )
    }
}
