import VigilProtocol

/// Samples the host every interval (DESIGN §4): CPU, memory, disk space and I/O, accept-queue depth,
/// and the agent's own buffer figures, each as a `Sample` carrying the agent's `service` and
/// `version` labels.
///
/// Invariants:
/// - The parsers are pure; this class only reads through its ``ProcSource`` and keeps the previous
///   `/proc/stat` and `/proc/diskstats` snapshots for the deltas.
/// - Rates and utilizations need two snapshots, so the first call emits no `cpu.utilization`,
///   `disk.read_bytes` or `disk.write_bytes`; nor does a call whose interval was skipped (a counter
///   went backwards, or the time given did not advance).
/// - A file or mount that cannot be read is skipped for that call and counted in ``skippedReadings``;
///   sampling never throws and never traps on odd kernel text.
///
/// Not thread-safe: owned by one task, which calls ``sample(at:)`` once per interval.
public final class HostSampler {
    private let source: any ProcSource
    private let selfMetrics: (any AgentSelfMetrics)?
    private let diskFilter: DiskDeviceFilter
    private let listenPorts: Set<Int>
    private let baseLabels: [String: String]
    private let mounts: [(path: String, labels: [String: String])]
    private let portLabels: [Int: [String: String]]

    private var previousStat: ProcStat?
    private var previousDisks: (stats: DiskStats, timeUnixNano: Int64)?

    /// Readings that failed (an unreadable file, a failed `statvfs`) since the sampler was created.
    public private(set) var skippedReadings: UInt64 = 0

    /// A sampler for `configuration`, putting `labels["service"]` and `labels["version"]` (when set)
    /// on every sample, reading through `source`, and asking `selfMetrics` for the agent's own figures.
    public init(
        configuration: AgentConfiguration.Sampling,
        labels: [String: String],
        source: any ProcSource = LinuxProcSource(),
        selfMetrics: (any AgentSelfMetrics)? = nil
    ) {
        var base: [String: String] = [:]
        base["service"] = labels["service"]
        base["version"] = labels["version"]
        self.baseLabels = base
        self.source = source
        self.selfMetrics = selfMetrics
        self.diskFilter = DiskDeviceFilter(devices: configuration.devices)
        self.listenPorts = Set(configuration.listenPorts)
        self.mounts = configuration.mounts.map { mount in
            var labels = base
            labels["mount"] = mount
            return (mount, labels)
        }
        var portLabels: [Int: [String: String]] = [:]
        for port in configuration.listenPorts {
            var labels = base
            labels["port"] = String(port)
            portLabels[port] = labels
        }
        self.portLabels = portLabels
    }

    /// Takes one reading of everything configured, stamped `timeUnixNano` (from the caller's clock).
    public func sample(at timeUnixNano: Int64) -> [Vigil_V1_Sample] {
        var samples: [Vigil_V1_Sample] = []
        samples.reserveCapacity(8 + 2 * mounts.count + listenPorts.count)
        if let stat = read(.stat, ProcStat.parse) {
            if let previousStat, let utilization = CPUUsage.hostUtilization(from: previousStat, to: stat) {
                samples.append(make(HostMetric.cpuUtilization, utilization, baseLabels, timeUnixNano))
            }
            previousStat = stat
        }

        if let memory = read(.meminfo, MemoryInfo.parse), let memory {
            samples.append(make(HostMetric.memoryUsedBytes, Double(memory.usedBytes), baseLabels, timeUnixNano))
            samples.append(make(HostMetric.memoryUtilization, memory.utilization, baseLabels, timeUnixNano))
        }

        for mount in mounts {
            guard let stats = source.filesystemStats(at: mount.path) else {
                skippedReadings += 1
                continue
            }
            samples.append(make(HostMetric.diskUsedBytes, Double(stats.usedBytes), mount.labels, timeUnixNano))
            if let utilization = stats.utilization {
                samples.append(make(HostMetric.diskUtilization, utilization, mount.labels, timeUnixNano))
            }
        }

        let filter = diskFilter
        if let disks = read(.diskstats, { DiskStats.parse($0, filter: filter) }) {
            if let previousDisks {
                let elapsedSeconds = Double(timeUnixNano &- previousDisks.timeUnixNano) / 1e9
                for rate in DiskIORate.rates(from: previousDisks.stats, to: disks, elapsedSeconds: elapsedSeconds) {
                    var labels = baseLabels
                    labels["device"] = rate.device
                    samples.append(make(HostMetric.diskReadBytes, rate.readBytesPerSecond, labels, timeUnixNano))
                    samples.append(make(HostMetric.diskWriteBytes, rate.writeBytesPerSecond, labels, timeUnixNano))
                }
            }
            previousDisks = (disks, timeUnixNano)
        }

        if !listenPorts.isEmpty {
            appendQueueDepths(to: &samples, at: timeUnixNano)
        }

        if let values = selfMetrics?.currentSelfMetrics() {
            samples.append(
                make(HostMetric.agentBufferRecords, Double(values.bufferedRecords), baseLabels, timeUnixNano))
            samples.append(make(HostMetric.agentBufferBytes, Double(values.bufferedBytes), baseLabels, timeUnixNano))
            samples.append(make(HostMetric.agentDropped, Double(values.droppedRecords), baseLabels, timeUnixNano))
        }
        return samples
    }

    private func appendQueueDepths(to samples: inout [Vigil_V1_Sample], at timeUnixNano: Int64) {
        var depths: [Int: UInt64] = [:]
        let ports = listenPorts
        for file in [ProcFile.netTCP, .netTCP6] {
            if source.withContents(of: file, { ListenQueueDepth.accumulate($0, ports: ports, into: &depths) }) == nil {
                skippedReadings += 1
            }
        }
        for (port, depth) in depths.sorted(by: { $0.key < $1.key }) {
            samples.append(make(HostMetric.queueDepth, Double(depth), portLabels[port] ?? baseLabels, timeUnixNano))
        }
    }

    /// Reads and parses one file, counting a failed read.
    private func read<Parsed>(_ file: ProcFile, _ parse: (ArraySlice<UInt8>) -> Parsed) -> Parsed? {
        guard let parsed = source.withContents(of: file, parse) else {
            skippedReadings += 1
            return nil
        }
        return parsed
    }

    private func make(
        _ metric: String, _ value: Double, _ labels: [String: String], _ time: Int64
    )
        -> Vigil_V1_Sample
    {
        var sample = Vigil_V1_Sample()
        sample.timeUnixNano = time
        sample.metric = metric
        sample.value = value
        sample.labels = labels
        return sample
    }
}

@available(*, unavailable)
extension HostSampler: Sendable {}
