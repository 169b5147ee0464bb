// SeriesHistory: the series of issue #5 part 9 over time (`GET /v1/series`, the dashboard's charts), computed
// from rollup cells merged per step (pure).
//
// - Buckets start at multiples of the step since the Unix epoch (a day step starts at 00:00 UTC), so the same
//   query gives the same points whenever it is asked; a point's time is its bucket's start.
// - The calls series (event_rate, error_rate, latency_*), nps and the resource series leave a bucket out when
//   it has nothing to measure (no value, not 0), as the evaluation's series do.
// - event_rate divides by the part of the bucket that has passed at `nowUnixNano`, so the newest, unfinished
//   bucket is not understated (a bucket holds whole rollup cells, so a span ending inside it still reads all of
//   it).
// - Resource series: per host the mean of its samples in the bucket; over hosts the mean of the hosts' means.
// - agent_up: per host 1 when the host sent anything (events or samples) in the bucket, else 0, from the first
//   bucket to the last of the span for every host seen in it; over hosts the number of hosts that sent.

/// Over which labels a history's lines are split.
public enum SeriesGrouping: String, Sendable, Hashable, CaseIterable, Codable {
    /// One line for the service.
    case service
    /// One line per version.
    case version
    /// One line per (version, host).
    case host
}

/// The buckets of a history: `count` steps of `stepMinutes` from `firstMinute` (Unix minutes).
public struct SeriesBuckets: Sendable, Hashable {
    /// The first bucket's first minute, a multiple of `stepMinutes`.
    public var firstMinute: Int64
    /// The step in minutes.
    public var stepMinutes: Int64
    /// How many buckets.
    public var count: Int
    /// The time of the request (Unix ns): an unfinished bucket's rate counts only the time until here.
    public var nowUnixNano: Int64

    /// The buckets covering `fromUnixNano...toUnixNano` at `stepMinutes` (≥ 1), asked at `nowUnixNano`.
    public init(fromUnixNano: Int64, toUnixNano: Int64, stepMinutes: Int64, nowUnixNano: Int64) {
        precondition(stepMinutes >= 1 && toUnixNano >= fromUnixNano)
        let first = MinuteRollup.minute(of: fromUnixNano)
        let last = MinuteRollup.minute(of: toUnixNano)
        self.stepMinutes = stepMinutes
        self.firstMinute = Self.floorDivide(first, by: stepMinutes) * stepMinutes
        self.count = Int(Self.floorDivide(last - firstMinute, by: stepMinutes) + 1)
        self.nowUnixNano = nowUnixNano
    }

    /// The minutes the buckets cover.
    public var minutes: ClosedRange<Int64> { firstMinute...(firstMinute + Int64(count) * stepMinutes - 1) }

    /// The bucket holding `minute`, if any.
    public func index(ofMinute minute: Int64) -> Int? {
        guard minute >= firstMinute else { return nil }
        let index = (minute - firstMinute) / stepMinutes
        return index < count ? Int(index) : nil
    }

    /// The start of bucket `index` in Unix seconds.
    public func startSeconds(_ index: Int) -> Int64 { (firstMinute + Int64(index) * stepMinutes) * 60 }

    /// Seconds of bucket `index` up to `nowUnixNano` (at least 1, so a rate is always defined).
    func elapsedSeconds(_ index: Int) -> Double {
        let start = Double(startSeconds(index))
        let end = min(start + Double(stepMinutes * 60), Double(nowUnixNano) / 1e9)
        return max(1, end - start)
    }

    static func floorDivide(_ value: Int64, by divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}

/// One point: a bucket's start (Unix seconds) and its value. Encodes as `[seconds, value]`.
public struct SeriesPoint: Sendable, Hashable, Codable {
    /// The bucket's start, Unix seconds.
    public var unixSeconds: Int64
    /// The value; finite.
    public var value: Double

    /// Creates a point.
    public init(unixSeconds: Int64, value: Double) {
        self.unixSeconds = unixSeconds
        self.value = value
    }

    /// Decodes `[seconds, value]`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        unixSeconds = try container.decode(Int64.self)
        value = try container.decode(Double.self)
    }

    /// Encodes `[seconds, value]`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(unixSeconds)
        try container.encode(value)
    }
}

/// One label set's points, oldest first.
public struct SeriesLine: Sendable, Hashable, Codable {
    /// `service`, and with the grouping `version` and `host`.
    public var labels: [String: String]
    /// The points, oldest first.
    public var points: [SeriesPoint]

    /// Creates a line.
    public init(labels: [String: String], points: [SeriesPoint]) {
        self.labels = labels
        self.points = points
    }
}

/// Builds series histories from rollup rows.
public enum SeriesHistory {
    /// What a history is asked for.
    public struct Request: Sendable, Hashable {
        /// The series.
        public var name: SeriesName
        /// The service.
        public var service: String
        /// Only this version, if given.
        public var version: String?
        /// Only this host, if given.
        public var host: String?
        /// How lines are split.
        public var grouping: SeriesGrouping
        /// The buckets.
        public var buckets: SeriesBuckets

        /// Creates a request.
        public init(
            name: SeriesName, service: String, version: String? = nil, host: String? = nil,
            grouping: SeriesGrouping, buckets: SeriesBuckets
        ) {
            self.name = name
            self.service = service
            self.version = version
            self.host = host
            self.grouping = grouping
            self.buckets = buckets
        }
    }

    /// The lines of `request` from the service's rows (minute or hour cells, each in the bucket of its first
    /// minute), sorted by labels. `ingest_lag_seconds` has no history in the rollups: it gives no lines.
    public static func build(
        _ request: Request, events: [EventRollupRow], samples: [SampleRollupRow]
    ) -> [SeriesLine] {
        let events = events.filter { request.admits(version: $0.key.version, host: $0.key.host) }
        let samples = samples.filter { request.admits(version: $0.key.version, host: $0.key.host) }
        let lines: [[String: String]: [Int: Double]]
        switch request.name {
        case .eventRate, .errorRate, .latencyP50, .latencyP95, .latencyP99, .nps:
            lines = calls(request, events: events)
        case .cpuUtilization, .memoryUtilization, .diskUtilization, .queueDepth:
            lines = resource(request, samples: samples)
        case .agentUp:
            lines = agentUp(request, events: events, samples: samples)
        case .ingestLagSeconds:
            lines = [:]
        }
        return lines.map { labels, values in
            SeriesLine(
                labels: labels,
                points: values.sorted { $0.key < $1.key }.map {
                    SeriesPoint(unixSeconds: request.buckets.startSeconds($0.key), value: $0.value)
                })
        }
        .sortedByLabels()
    }

    /// The rollup metric each resource series averages.
    static let resourceMetric: [SeriesName: String] = [
        .cpuUtilization: "cpu.utilization", .memoryUtilization: "memory.utilization",
        .diskUtilization: "disk.utilization", .queueDepth: "queue.depth",
    ]

    static func calls(_ request: Request, events: [EventRollupRow]) -> [[String: String]: [Int: Double]] {
        let feedback = request.name == .nps
        var cells: [[String: String]: [Int: EventCell]] = [:]
        for row in events where (row.key.name == MinuteRollup.feedbackName) == feedback {
            guard let bucket = request.buckets.index(ofMinute: row.key.minute) else { continue }
            cells[request.labels(version: row.key.version, host: row.key.host), default: [:]][
                bucket, default: EventCell()
            ]
            .merge(row.cell)
        }
        var out: [[String: String]: [Int: Double]] = [:]
        for (labels, buckets) in cells {
            for (bucket, cell) in buckets {
                if let value = value(of: request.name, cell, seconds: request.buckets.elapsedSeconds(bucket)) {
                    out[labels, default: [:]][bucket] = value
                }
            }
        }
        return out
    }

    static func value(of name: SeriesName, _ cell: EventCell, seconds: Double) -> Double? {
        switch name {
        case .eventRate: return cell.count > 0 ? Double(cell.count) / max(1, seconds) : nil
        case .errorRate: return cell.count > 0 ? Double(cell.errors) / Double(cell.count) : nil
        case .latencyP50: return cell.count > 0 ? cell.sketch.quantile(0.5) : nil
        case .latencyP95: return cell.count > 0 ? cell.sketch.quantile(0.95) : nil
        case .latencyP99: return cell.count > 0 ? cell.sketch.quantile(0.99) : nil
        case .nps:
            return cell.scores > 0 ? 100 * Double(cell.promoters - cell.detractors) / Double(cell.scores) : nil
        default: return nil
        }
    }

    static func resource(_ request: Request, samples: [SampleRollupRow]) -> [[String: String]: [Int: Double]] {
        guard let metric = resourceMetric[request.name] else { return [:] }
        struct HostBucket: Hashable {
            var version: String
            var host: String
            var bucket: Int
        }
        var cells: [HostBucket: SampleCell] = [:]
        for row in samples where row.key.metric == metric {
            guard let bucket = request.buckets.index(ofMinute: row.key.minute) else { continue }
            cells[HostBucket(version: row.key.version, host: row.key.host, bucket: bucket), default: SampleCell()]
                .merge(row.cell)
        }
        var means: [[String: String]: [Int: (sum: Double, hosts: Int)]] = [:]
        for (key, cell) in cells {
            guard let mean = cell.average else { continue }
            let labels = request.labels(version: key.version, host: key.host)
            let previous = means[labels, default: [:]][key.bucket] ?? (0, 0)
            means[labels, default: [:]][key.bucket] = (previous.sum + mean, previous.hosts + 1)
        }
        return means.mapValues { $0.mapValues { $0.sum / Double($0.hosts) } }
    }

    static func agentUp(
        _ request: Request, events: [EventRollupRow], samples: [SampleRollupRow]
    ) -> [[String: String]: [Int: Double]] {
        struct Host: Hashable {
            var version: String
            var host: String
        }
        var sent: [Host: Set<Int>] = [:]
        let keys =
            events.map { (Host(version: $0.key.version, host: $0.key.host), $0.key.minute) }
            + samples.map { (Host(version: $0.key.version, host: $0.key.host), $0.key.minute) }
        for (host, minute) in keys {
            guard let bucket = request.buckets.index(ofMinute: minute) else { continue }
            sent[host, default: []].insert(bucket)
        }
        var out: [[String: String]: [Int: Double]] = [:]
        for (host, buckets) in sent {
            let labels = request.labels(version: host.version, host: host.host)
            for bucket in 0..<request.buckets.count {
                out[labels, default: [:]][bucket, default: 0] += buckets.contains(bucket) ? 1 : 0
            }
        }
        return out
    }
}

extension SeriesHistory.Request {
    /// Whether a row of `version` and `host` passes the filters.
    public func admits(version: String, host: String) -> Bool {
        (self.version == nil || self.version == version) && (self.host == nil || self.host == host)
    }

    /// The labels of the line a row of `version` and `host` belongs to.
    public func labels(version: String, host: String) -> [String: String] {
        switch grouping {
        case .service: ["service": service]
        case .version: ["service": service, "version": version]
        case .host: ["service": service, "version": version, "host": host]
        }
    }
}

extension [SeriesLine] {
    /// The lines sorted by their labels (as sorted (name, value) pairs), so answers are stable.
    public func sortedByLabels() -> [SeriesLine] {
        sorted { $0.labels.sorted(by: <).lexicographicallyPrecedes($1.labels.sorted(by: <), by: <) }
    }
}
