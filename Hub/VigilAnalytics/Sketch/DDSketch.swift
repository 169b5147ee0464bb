// DDSketch: a mergeable quantile sketch with relative-error guarantees (Masson, Rim & Lee, VLDB 2019),
// following DataDog's sketches-go / sketches-py.
//
// Invariants:
// - Every value v added is counted exactly once: in `positive` (v ≥ minIndexableValue), in `negative`
//   (−v ≥ minIndexableValue, keyed by |v|), or in `zeroCount` (|v| smaller than that). Non-finite values and
//   magnitudes above `maxIndexableValue` are refused and change nothing.
// - `count == zeroCount + positive.total + negative.total`; `min`/`max` are the exact extremes seen and
//   `sum` the (floating-point) sum of the values added.
// - `quantile(q)` returns the representative of the bin holding the value of 0-based rank ⌊q·(count − 1)⌋
//   (the "lower" quantile), clamped to [min, max]; unless lowest bins were collapsed, it is within relative
//   error α of that value. Ranks 0 and count − 1 return the exact min and max.
// - Merging is exact: the bins of a merge of sketches equal the bins of one sketch fed the union.
import Foundation

/// A quantile sketch with relative accuracy α (default 1 %) that merges exactly and serializes compactly.
public struct DDSketch: Sendable, Equatable {
    /// The default relative accuracy, α = 1 % (DESIGN §5).
    public static let defaultRelativeAccuracy = 0.01
    /// The default greatest number of bins per sign; with α = 1 % it covers about 17 decimal orders of
    /// magnitude before the lowest bins collapse.
    public static let defaultMaxBins = 2048

    /// The value ↔ key mapping.
    public let mapping: LogarithmicMapping
    /// Bins of the positive values.
    public private(set) var positive: CollapsingLowestStore
    /// Bins of the magnitudes of the negative values.
    public private(set) var negative: CollapsingLowestStore
    /// How many values were too close to zero to have a key.
    public private(set) var zeroCount: UInt64 = 0
    /// The sum of the values added.
    public private(set) var sum: Double = 0
    /// The smallest value added, or `nil` when empty.
    public var min: Double? { count > 0 ? minValue : nil }
    /// The largest value added, or `nil` when empty.
    public var max: Double? { count > 0 ? maxValue : nil }

    private var minValue: Double = .infinity
    private var maxValue: Double = -.infinity

    /// The number of values added.
    public var count: UInt64 { zeroCount + positive.total + negative.total }

    /// The relative accuracy α.
    public var relativeAccuracy: Double { mapping.relativeAccuracy }

    /// The greatest number of bins kept per sign.
    public var maxBins: Int { positive.maxBins }

    /// Creates an empty sketch with the default relative accuracy (1 %) and bin limit (2048).
    public init() {
        self.init(
            mapping: LogarithmicMapping(relativeAccuracy: Self.defaultRelativeAccuracy)!, maxBins: Self.defaultMaxBins)
    }

    /// Creates an empty sketch; `nil` unless 0 < `relativeAccuracy` < 1 and `maxBins` ≥ 1.
    public init?(relativeAccuracy: Double, maxBins: Int = DDSketch.defaultMaxBins) {
        guard let mapping = LogarithmicMapping(relativeAccuracy: relativeAccuracy), maxBins >= 1 else { return nil }
        self.init(mapping: mapping, maxBins: maxBins)
    }

    init(mapping: LogarithmicMapping, maxBins: Int) {
        self.mapping = mapping
        self.positive = CollapsingLowestStore(maxBins: maxBins)
        self.negative = CollapsingLowestStore(maxBins: maxBins)
    }

    /// Adds `value` `count` times.
    ///
    /// - Returns: `false` (and changes nothing) for a non-finite value, a magnitude above
    ///   `mapping.maxIndexableValue`, or a count of 0, so the caller can count the refusal.
    @discardableResult
    public mutating func add(_ value: Double, count: UInt64 = 1) -> Bool {
        guard value.isFinite, count > 0, value.magnitude <= mapping.maxIndexableValue else { return false }
        if value >= mapping.minIndexableValue {
            positive.add(key: mapping.key(for: value), count: count)
        } else if -value >= mapping.minIndexableValue {
            negative.add(key: mapping.key(for: -value), count: count)
        } else {
            zeroCount += count
        }
        sum += value * Double(count)
        minValue = Swift.min(minValue, value)
        maxValue = Swift.max(maxValue, value)
        return true
    }

    /// Adds every value of `other` to this sketch.
    ///
    /// - Throws: `DDSketchError.incompatibleAccuracy` when the sketches use different relative accuracies
    ///   (their bins mean different ranges and cannot be added).
    public mutating func merge(_ other: DDSketch) throws(DDSketchError) {
        guard other.mapping == mapping else {
            throw DDSketchError(
                code: .incompatibleAccuracy,
                message: "cannot merge a sketch with relative accuracy \(other.relativeAccuracy) "
                    + "into one with \(relativeAccuracy)"
            )
        }
        guard other.count > 0 else { return }
        positive.merge(other.positive)
        negative.merge(other.negative)
        zeroCount += other.zeroCount
        sum += other.sum
        minValue = Swift.min(minValue, other.minValue)
        maxValue = Swift.max(maxValue, other.maxValue)
    }

    /// The value at quantile `q` (0 ≤ q ≤ 1): the lower quantile, of 0-based rank ⌊q·(count − 1)⌋, within
    /// relative error α; exact at ranks 0 and count − 1 (the minimum and maximum).
    ///
    /// - Returns: `nil` when the sketch is empty or `q` is outside [0, 1].
    public func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0, q >= 0, q <= 1 else { return nil }
        let rank = UInt64((q * Double(total - 1)).rounded(.down))
        if rank == 0 { return minValue }
        if rank == total - 1 { return maxValue }
        let estimate: Double
        if rank < negative.total {
            estimate = -mapping.value(for: negative.key(atRank: negative.total - 1 - rank))
        } else if rank < negative.total + zeroCount {
            estimate = 0
        } else {
            estimate = mapping.value(for: positive.key(atRank: rank - negative.total - zeroCount))
        }
        return Swift.min(Swift.max(estimate, minValue), maxValue)
    }

    /// Restores a sketch from decoded parts; used by `init(serialized:)` after validation.
    init(
        mapping: LogarithmicMapping,
        positive: CollapsingLowestStore,
        negative: CollapsingLowestStore,
        zeroCount: UInt64,
        sum: Double,
        min: Double,
        max: Double
    ) {
        self.mapping = mapping
        self.positive = positive
        self.negative = negative
        self.zeroCount = zeroCount
        self.sum = sum
        self.minValue = min
        self.maxValue = max
    }

    /// The raw extremes (±infinity when empty), for serialization.
    var extremes: (min: Double, max: Double) { (minValue, maxValue) }
}
