// MinuteRollup: the pure half of the rollup job. It folds raw events and samples into per-minute cells and
// merges cells; the store reads and writes them. Nothing here does I/O.
//
// Invariants:
// - `add` then `merge` is associative and commutative: rolling a set of records up in any chunking, in any
//   order, and merging the results gives the same counts, sums, extremes and sketch bins (DDSketch merges
//   exactly).
// - An hour cell is the merge of its 60 minute cells (`Chunk.hourly`), so long windows read 60 times fewer.
// - An event counts as an error when its outcome is ERROR; its category is counted only then, with "" as
//   "unspecified".
// - A `feedback` event with a numeric `score` attribute in 0…10 is one response: ≥ 9 a promoter, ≤ 6 a
//   detractor (NPS); other scores are refused and not counted as responses.

/// Folds raw records into minute rollup cells.
public enum MinuteRollup {
    /// Nanoseconds in a minute.
    public static let minuteNanos: Int64 = 60_000_000_000
    /// The event name whose `score` attribute feeds the NPS.
    public static let feedbackName = "feedback"

    /// Minutes in an hour cell: the hourly rollups hold the same cells with `minute` = the hour's first minute.
    public static let hourMinutes: Int64 = 60

    /// The first minute of the hour `minute` falls in (rounded towards −∞).
    public static func hourStart(ofMinute minute: Int64) -> Int64 {
        floorDivide(minute, by: hourMinutes) * hourMinutes
    }

    /// The Unix minute `timeUnixNano` falls in (rounded towards −∞).
    public static func minute(of timeUnixNano: Int64) -> Int64 {
        floorDivide(timeUnixNano, by: minuteNanos)
    }

    /// `value / divisor` rounded towards −∞ (Swift's `/` rounds towards 0), for times before 1970 too.
    private static func floorDivide(_ value: Int64, by divisor: Int64) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// One raw event, as much of it as the rollups need.
    public struct RawEvent: Sendable, Hashable {
        /// When it happened.
        public var timeUnixNano: Int64
        /// The service, version, host and name it is rolled up under.
        public var key: EventKey
        /// Whether the outcome was ERROR.
        public var failed: Bool
        /// Its duration.
        public var durationMs: Double
        /// Its error category ("" when none).
        public var errorCategory: String
        /// Its `score` attribute as text, for `feedback` events.
        public var score: String?

        /// Creates a raw event; `key.minute` is ignored and taken from `timeUnixNano`.
        public init(
            timeUnixNano: Int64, service: String, version: String, host: String, name: String, failed: Bool,
            durationMs: Double, errorCategory: String = "", score: String? = nil
        ) {
            self.timeUnixNano = timeUnixNano
            self.key = EventKey(
                service: service, minute: MinuteRollup.minute(of: timeUnixNano), version: version, host: host,
                name: name)
            self.failed = failed
            self.durationMs = durationMs
            self.errorCategory = errorCategory
            self.score = score
        }
    }

    /// One raw sample, with the service and version it is attributed to.
    public struct RawSample: Sendable, Hashable {
        /// The service, version, host and metric it is rolled up under.
        public var key: SampleKey
        /// Its value.
        public var value: Double

        /// Creates a raw sample.
        public init(timeUnixNano: Int64, service: String, version: String, host: String, metric: String, value: Double)
        {
            self.key = SampleKey(
                service: service, minute: MinuteRollup.minute(of: timeUnixNano), version: version, host: host,
                metric: metric)
            self.value = value
        }
    }

    /// Where an event cell belongs.
    public struct EventKey: Sendable, Hashable {
        /// The service.
        public var service: String
        /// The Unix minute.
        public var minute: Int64
        /// The version.
        public var version: String
        /// The host (agent id).
        public var host: String
        /// The event name.
        public var name: String

        /// Creates a key.
        public init(service: String, minute: Int64, version: String, host: String, name: String) {
            self.service = service
            self.minute = minute
            self.version = version
            self.host = host
            self.name = name
        }
    }

    /// Where a sample cell belongs.
    public struct SampleKey: Sendable, Hashable {
        /// The service ("" when neither the sample nor its agent named one).
        public var service: String
        /// The Unix minute.
        public var minute: Int64
        /// The version ("" when unknown).
        public var version: String
        /// The host (agent id).
        public var host: String
        /// The metric.
        public var metric: String

        /// Creates a key.
        public init(service: String, minute: Int64, version: String, host: String, metric: String) {
            self.service = service
            self.minute = minute
            self.version = version
            self.host = host
            self.metric = metric
        }
    }

    /// The result of folding one chunk of raw records.
    public struct Chunk: Sendable {
        /// The event cells, at their keys' positions in ``eventKeys``.
        public private(set) var eventCells: [EventCell] = []
        private var eventSlots = KeyedSlots<EventKey>(recentCount: 2)
        /// Error counts by event key and category.
        public var errors: [EventKey: [String: Int64]] = [:]
        /// Sample cells by key.
        public var samples: [SampleKey: SampleCell] = [:]
        /// Values refused (non-finite, or beyond the sketch's range).
        public var refused = 0

        /// An empty chunk.
        public init() {}

        /// The event keys, in the order first seen.
        public var eventKeys: [EventKey] { eventSlots.keys }

        /// Folds in one event.
        public mutating func add(_ event: RawEvent) {
            // In place: copying a cell out and back would copy its sketch's bins for every event.
            if !eventCells[slot(of: event.key)].add(event) { refused += 1 }
            if event.failed {
                errors[event.key, default: [:]][event.errorCategory, default: 0] += 1
            }
        }

        private mutating func slot(of key: EventKey) -> Int {
            let (slot, isNew) = eventSlots.slot(of: key)
            if isNew { eventCells.append(EventCell()) }
            return slot
        }

        /// Merges a whole cell in at `key`.
        public mutating func merge(_ cell: EventCell, at key: EventKey) {
            eventCells[slot(of: key)].merge(cell)
        }

        /// Merges a whole sample cell in at `key`.
        public mutating func merge(_ cell: SampleCell, at key: SampleKey) {
            samples[key, default: SampleCell()].merge(cell)
        }

        /// The same cells merged per hour (each key's minute moved to its hour's first minute), for the hourly
        /// rollups; error categories are kept per minute only, so the result has none.
        public var hourly: Chunk {
            var out = Chunk()
            for (key, cell) in zip(eventKeys, eventCells) {
                var hourKey = key
                hourKey.minute = MinuteRollup.hourStart(ofMinute: key.minute)
                out.merge(cell, at: hourKey)
            }
            for (key, cell) in samples {
                var hourKey = key
                hourKey.minute = MinuteRollup.hourStart(ofMinute: key.minute)
                out.merge(cell, at: hourKey)
            }
            out.refused = refused
            return out
        }

        /// Folds in one sample; a non-finite value is refused.
        public mutating func add(_ sample: RawSample) {
            guard sample.value.isFinite else {
                refused += 1
                return
            }
            samples[sample.key, default: SampleCell()].add(sample.value)
        }
    }
}

/// One (service, minute, version, host, event name) rollup: counts, errors, durations and feedback.
public struct EventCell: Sendable, Equatable {
    /// Events.
    public var count: Int64 = 0
    /// Events whose outcome was ERROR.
    public var errors: Int64 = 0
    /// Sum of the durations (ms).
    public var durationSum: Double = 0
    /// The durations (ms), α = 1 %.
    public var sketch = DDSketch()
    /// `feedback` events with a valid score.
    public var scores: Int64 = 0
    /// Scores ≥ 9.
    public var promoters: Int64 = 0
    /// Scores ≤ 6.
    public var detractors: Int64 = 0

    /// An empty cell.
    public init() {}

    /// Folds in one event; `false` when its duration could not enter the sketch (the event still counts).
    @discardableResult
    public mutating func add(_ event: MinuteRollup.RawEvent) -> Bool {
        count += 1
        if event.failed { errors += 1 }
        var accepted = false
        if event.durationMs.isFinite {
            durationSum += event.durationMs
            accepted = sketch.add(event.durationMs)
        }
        if event.key.name == MinuteRollup.feedbackName, let text = event.score, let score = Double(text),
            score >= 0, score <= 10
        {
            scores += 1
            if score >= 9 { promoters += 1 }
            if score <= 6 { detractors += 1 }
        }
        return accepted
    }

    /// Adds every event of `other`.
    public mutating func merge(_ other: EventCell) {
        count += other.count
        errors += other.errors
        durationSum += other.durationSum
        try? sketch.merge(other.sketch)  // Every cell uses the default α: merging cannot fail.
        scores += other.scores
        promoters += other.promoters
        detractors += other.detractors
    }
}

/// One (service, minute, version, host, metric) rollup: count, sum, min and max of the samples.
public struct SampleCell: Sendable, Equatable {
    /// Samples.
    public var count: Int64 = 0
    /// Their sum.
    public var sum: Double = 0
    /// The smallest.
    public var min: Double = .infinity
    /// The largest.
    public var max: Double = -.infinity

    /// An empty cell.
    public init() {}

    /// A cell with these figures.
    public init(count: Int64, sum: Double, min: Double, max: Double) {
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
    }

    /// The mean (`nil` when empty).
    public var average: Double? { count > 0 ? sum / Double(count) : nil }

    /// Folds in one value.
    public mutating func add(_ value: Double) {
        count += 1
        sum += value
        min = Swift.min(min, value)
        max = Swift.max(max, value)
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: SampleCell) {
        count += other.count
        sum += other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }
}
