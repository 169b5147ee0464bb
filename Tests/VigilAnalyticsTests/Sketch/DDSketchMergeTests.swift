import Testing

@testable import VigilAnalytics

@Suite("DDSketch merging")
struct DDSketchMergeTests {
    /// Feeds `values` to one sketch, and the same values split into `parts` interleaved slices to as many
    /// sketches merged together; returns both.
    private func wholeAndMerged(
        _ values: [Double], parts: Int, maxBins: Int = DDSketch.defaultMaxBins
    ) throws -> (whole: DDSketch, merged: DDSketch) {
        var whole = try #require(DDSketch(relativeAccuracy: 0.01, maxBins: maxBins))
        var pieces = [DDSketch](repeating: whole, count: parts)
        for (index, value) in values.enumerated() {
            whole.add(value)
            pieces[index % parts].add(value)
        }
        var merged = try #require(DDSketch(relativeAccuracy: 0.01, maxBins: maxBins))
        for piece in pieces.reversed() {
            try merged.merge(piece)
        }
        return (whole, merged)
    }

    private func expectSameContents(_ a: DDSketch, _ b: DDSketch) {
        #expect(a.positive == b.positive)
        #expect(a.negative == b.negative)
        #expect(a.zeroCount == b.zeroCount)
        #expect(a.count == b.count)
        #expect(a.min == b.min)
        #expect(a.max == b.max)
        // The sum is added in a different order, so only rounding may differ.
        #expect((a.sum - b.sum).magnitude <= 1e-9 * max(a.sum.magnitude, 1))
        for q in checkedQuantiles + [0, 1] {
            #expect(a.quantile(q) == b.quantile(q), "q=\(q)")
        }
    }

    @Test("merging sketches of parts gives the same bins, counts and quantiles as one sketch of the union")
    func mergeEqualsUnion() throws {
        let values = SampleDistribution.lognormal.values(count: 300_000, seed: 0x5EED_0010)
        let (whole, merged) = try wholeAndMerged(values, parts: 7)
        expectSameContents(whole, merged)
    }

    @Test("merging is exact for negative, zero and positive values alike")
    func mergeMixedSigns() throws {
        let values = SampleDistribution.mixedSign.values(count: 100_000, seed: 0x5EED_0011)
        let (whole, merged) = try wholeAndMerged(values, parts: 3)
        #expect(whole.negative.total > 0 && whole.zeroCount > 0 && whole.positive.total > 0)
        expectSameContents(whole, merged)
    }

    @Test("merging stays exact when the lowest bins collapse, whatever order the parts come in")
    func mergeWithCollapsing() throws {
        let values = SampleDistribution.logUniform.values(count: 50_000, seed: 0x5EED_0012)
        let (whole, merged) = try wholeAndMerged(values, parts: 5, maxBins: 64)
        #expect(whole.positive.hasCollapsed)
        #expect(merged.positive.hasCollapsed)
        expectSameContents(whole, merged)
    }

    @Test("merging an empty sketch changes nothing and merging into an empty sketch copies")
    func mergeEmpty() throws {
        var sketch = DDSketch()
        sketch.add(12)
        sketch.add(-3)
        let before = sketch
        try sketch.merge(DDSketch())
        #expect(sketch == before)
        var empty = DDSketch()
        try empty.merge(before)
        #expect(empty == before)
    }

    @Test("merging sketches of different relative accuracy throws incompatibleAccuracy")
    func mergeIncompatible() throws {
        var onePercent = DDSketch()
        var twoPercent = try #require(DDSketch(relativeAccuracy: 0.02))
        twoPercent.add(1)
        #expect(throws: DDSketchError.self) { try onePercent.merge(twoPercent) }
        do {
            try onePercent.merge(twoPercent)
        } catch {
            #expect(error.code == .incompatibleAccuracy)
        }
        #expect(onePercent.count == 0)
    }
}
