import Foundation
import Testing

@testable import VigilAnalytics

/// The quantiles every accuracy test checks.
let checkedQuantiles = [0.01, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]

/// The exact lower quantile: the value of 0-based rank ⌊q·(n − 1)⌋ of the sorted values, the rank the
/// sketch documents.
func exactQuantile(_ sorted: [Double], _ q: Double) -> Double {
    sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
}

/// |estimate − exact| / |exact|, or |estimate| when exact is 0.
func relativeError(_ estimate: Double, _ exact: Double) -> Double {
    exact == 0 ? estimate.magnitude : (estimate - exact).magnitude / exact.magnitude
}

@Suite("DDSketch accuracy")
struct DDSketchAccuracyTests {
    @Test(
        "every checked quantile of a million values is within 1 % of the exact quantile",
        arguments: SampleDistribution.allCases)
    func quantilesOfAMillionValuesAreWithinOnePercent(distribution: SampleDistribution) throws {
        let values = distribution.values(count: 1_000_000, seed: 0x5EED_0001)
        var sketch = DDSketch()
        var refused = 0
        for value in values where !sketch.add(value) {
            refused += 1
        }
        let sorted = values.sorted()
        #expect(refused == 0)
        #expect(sketch.count == 1_000_000)
        #expect(sketch.min == sorted.first)
        #expect(sketch.max == sorted.last)
        #expect(!sketch.positive.hasCollapsed)
        for q in checkedQuantiles {
            let estimate = try #require(sketch.quantile(q))
            let exact = exactQuantile(sorted, q)
            #expect(relativeError(estimate, exact) <= 0.01 + 1e-12, "q=\(q) estimate=\(estimate) exact=\(exact)")
        }
    }

    @Test("quantile 0 and 1 return the exact minimum and maximum")
    func extremeQuantilesAreExact() throws {
        var sketch = DDSketch()
        for value in [3.7, 12.25, 980.5, 0.013] {
            sketch.add(value)
        }
        #expect(sketch.quantile(0) == 0.013)
        #expect(sketch.quantile(1) == 980.5)
    }

    @Test("a constant stream returns the constant itself at every quantile")
    func constantStreamIsExact() {
        var sketch = DDSketch()
        sketch.add(42, count: 1000)
        for q in checkedQuantiles {
            #expect(sketch.quantile(q) == 42)
        }
        #expect(sketch.sum == 42_000)
    }

    @Test("an empty sketch and quantiles outside [0, 1] have no value")
    func emptyAndOutOfRange() {
        var sketch = DDSketch()
        #expect(sketch.quantile(0.5) == nil)
        #expect(sketch.min == nil)
        #expect(sketch.max == nil)
        sketch.add(1)
        #expect(sketch.quantile(-0.01) == nil)
        #expect(sketch.quantile(1.01) == nil)
        #expect(sketch.quantile(.nan) == nil)
    }

    @Test("non-finite values, zero counts and magnitudes beyond the mapping are refused and change nothing")
    func refusedValues() {
        var sketch = DDSketch()
        let refusals = [
            sketch.add(.nan), sketch.add(.infinity), sketch.add(-.infinity), sketch.add(5, count: 0),
            sketch.add(.greatestFiniteMagnitude),
        ]
        #expect(refusals == [false, false, false, false, false])
        #expect(sketch.count == 0)
        #expect(sketch == DDSketch())
    }

    @Test("values too small to index count as zero and weighted adds count as repeated adds")
    func zeroAndWeights() throws {
        var weighted = DDSketch()
        var repeated = DDSketch()
        weighted.add(0, count: 3)
        weighted.add(0x1p-1070, count: 2)  // subnormal: below the smallest indexable value
        weighted.add(-7.5, count: 4)
        for _ in 0..<3 { repeated.add(0) }
        for _ in 0..<2 { repeated.add(0x1p-1070) }
        for _ in 0..<4 { repeated.add(-7.5) }
        #expect(weighted.zeroCount == 5)
        #expect(weighted.count == 9)
        #expect(weighted.positive == repeated.positive)
        #expect(weighted.negative == repeated.negative)
        #expect(weighted.quantile(0) == -7.5)
        #expect(weighted.quantile(0.5) == 0)
        #expect(weighted.sum == -30)
    }

    @Test("when lowest bins collapse, the bin limit holds and high quantiles stay within 1 %")
    func collapsingKeepsHighQuantiles() throws {
        let values = SampleDistribution.logUniform.values(count: 200_000, seed: 0x5EED_0002)
        var sketch = try #require(DDSketch(relativeAccuracy: 0.01, maxBins: 128))
        for value in values {
            sketch.add(value)
        }
        let sorted = values.sorted()
        #expect(sketch.positive.hasCollapsed)
        #expect(sketch.positive.bins.count <= 128)
        #expect(sketch.count == 200_000)
        for q in [0.9, 0.95, 0.99, 0.999] {
            let estimate = try #require(sketch.quantile(q))
            #expect(relativeError(estimate, exactQuantile(sorted, q)) <= 0.01 + 1e-12, "q=\(q)")
        }
        // The lowest quantile has collapsed upwards: it overestimates, never underestimates.
        #expect(try #require(sketch.quantile(0.01)) > exactQuantile(sorted, 0.01) * 1.01)
    }

    @Test("the mapping's representative value is within α of both ends of its bin")
    func mappingBinBounds() throws {
        let mapping = try #require(LogarithmicMapping(relativeAccuracy: 0.01))
        #expect(abs(mapping.gamma - 1.01 / 0.99) < 1e-15)
        for key in [-3000, -1, 0, 1, 17, 3000] {
            let upper = pow(mapping.gamma, Double(key))
            let lower = pow(mapping.gamma, Double(key - 1))
            let representative = mapping.value(for: key)
            #expect(relativeError(representative, upper) <= 0.01 + 1e-12)
            #expect(relativeError(representative, lower) <= 0.01 + 1e-12)
            #expect(mapping.key(for: upper * (1 - 1e-9)) == key)
            #expect(mapping.key(for: lower * (1 + 1e-9)) == key)
        }
        #expect(LogarithmicMapping(relativeAccuracy: 0) == nil)
        #expect(LogarithmicMapping(relativeAccuracy: 1) == nil)
        #expect(DDSketch(relativeAccuracy: 0.01, maxBins: 0) == nil)
    }
}
