// LogarithmicMapping: the value ↔ bin-key mapping of a DDSketch.
//
// Invariants:
// - γ = (1 + α) / (1 − α) and key(v) = ⌈ln(v) / ln(γ)⌉, so bin k holds the values in (γ^(k−1), γ^k].
// - value(k) = 2γ^k / (1 + γ) lies within relative distance α of every value in bin k; this is what makes
//   every quantile the sketch returns α-accurate.
// - Only values in [minIndexableValue, maxIndexableValue] have a key; smaller magnitudes count as zero,
//   larger ones are rejected by the sketch.
import Foundation

/// Maps positive values to integer bin keys so that every bin spans a relative width of at most 2α.
///
/// This is the `LogarithmicMapping` of DataDog's sketches-go / sketches-py (without index offset).
public struct LogarithmicMapping: Sendable, Hashable {
    /// The relative accuracy α that quantiles computed through this mapping guarantee.
    public let relativeAccuracy: Double
    /// The ratio between consecutive bin boundaries, γ = (1 + α) / (1 − α).
    public let gamma: Double
    /// 1 / ln γ.
    let multiplier: Double
    /// The smallest positive value that gets a key; anything smaller in magnitude counts as zero.
    public let minIndexableValue: Double
    /// The largest value that gets a key.
    public let maxIndexableValue: Double

    /// Creates the mapping for a relative accuracy α; `nil` unless 0 < α < 1.
    public init?(relativeAccuracy: Double) {
        guard relativeAccuracy > 0, relativeAccuracy < 1, relativeAccuracy.isFinite else { return nil }
        let mantissa = 2 * relativeAccuracy / (1 - relativeAccuracy)
        self.relativeAccuracy = relativeAccuracy
        self.gamma = 1 + mantissa
        self.multiplier = 1 / log1p(mantissa)
        self.minIndexableValue = Double.leastNormalMagnitude * gamma
        self.maxIndexableValue = Double.greatestFiniteMagnitude / gamma
    }

    /// The key of the bin holding `value` (which must be within the indexable range).
    public func key(for value: Double) -> Int {
        Int((log(value) * multiplier).rounded(.up))
    }

    /// The representative value of bin `key`: within α of every value the bin holds.
    public func value(for key: Int) -> Double {
        exp(Double(key) / multiplier) * (2 / (1 + gamma))
    }

    /// The key range that indexable values can produce; keys outside it are malformed.
    var keyRange: ClosedRange<Int> {
        key(for: minIndexableValue)...key(for: maxIndexableValue)
    }
}
