import Foundation
import Logging
import ServiceLifecycle
import VigilProtocol

/// Runs the ``HostSampler`` every interval and hands its samples to the buffer like any other record.
/// Samples need no client acknowledgement; a refusal (buffer full under `reject_new`, disk full) is
/// counted by the buffer and logged here at debug level.
public final class SamplingService: Service, Sendable {
    private let interval: Duration
    private let makeSampler: @Sendable () -> HostSampler
    private let committer: GroupCommitter
    private let now: @Sendable () -> Int64
    private let logger: Logger

    /// Creates the service; the sampler is created inside `run` (it is not `Sendable`).
    public init(
        interval: Duration,
        committer: GroupCommitter,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) },
        logger: Logger = Logger(label: "vigil.agent.sampling"),
        makeSampler: @escaping @Sendable () -> HostSampler
    ) {
        self.interval = interval
        self.committer = committer
        self.now = now
        self.logger = logger
        self.makeSampler = makeSampler
    }

    /// Samples until graceful shutdown.
    public func run() async {
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            let sampler = self.makeSampler()
            while !Task.isCancelled {
                let records: [[UInt8]] = sampler.sample(at: self.now()).compactMap { sample in
                    var record = Vigil_V1_Record()
                    record.sample = sample
                    return try? record.serializedBytes()
                }
                if !records.isEmpty {
                    self.committer.submit(records) { result in
                        if case .failure(let error) = result {
                            logger.debug("samples not stored", metadata: ["error": "\(error)"])
                        }
                    }
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
