import Testing
import VigilTestSupport

@testable import VigilAnalytics

@Suite("Mann-Whitney U behaviour")
struct MannWhitneyTestTests {
    @Test("R's textbook example: W = 4, p = 0.05413, interval [-7, 1] (R: -7.000015, 1.000014)")
    func textbookExample() throws {
        // R 4.2: wilcox.test(1:5, c(3, 4, 6:9), conf.int = TRUE, conf.level = 0.98, exact = FALSE)
        let result = try MannWhitneyTest(x: [1, 2, 3, 4, 5], y: [3, 4, 6, 7, 8, 9])
        #expect(result.u == 4)
        #expect((result.pValue - 0.05413).magnitude < 5e-6)
        #expect(result.shift == -3)
        #expect(result.lower == -7)
        #expect(result.upper == 1)
        #expect(!result.isSignificant)
    }

    @Test("when every value is equal the test is defined: z = 0, p = 1, shift and interval 0")
    func allValuesEqual() throws {
        let result = try MannWhitneyTest(x: [7, 7, 7, 7], y: [7, 7, 7])
        #expect(result.u == 6)
        #expect(result.z == 0)
        #expect(result.pValue == 1)
        #expect(result.shift == 0 && result.lower == 0 && result.upper == 0)
    }

    @Test("two constant samples give the one difference as shift and as both limits")
    func constantSamples() throws {
        let result = try MannWhitneyTest(x: [12, 12, 12, 12, 12, 12], y: [10, 10, 10, 10, 10, 10, 10, 10])
        #expect(result.shift == 2 && result.lower == 2 && result.upper == 2)
        #expect(result.u == 48)
        #expect(result.pValue < 0.001)
        #expect(result.isSignificant)
    }

    @Test("swapping x and y negates U's deviation, the shift and the interval")
    func symmetry() throws {
        var random = SplitMix64(seed: 0x5EED_0030)
        let x = (0..<40).map { _ in (random.gaussian() * 10).rounded() }
        let y = (0..<55).map { _ in (random.gaussian() * 10 + 3).rounded() }
        let forward = try MannWhitneyTest(x: x, y: y)
        let backward = try MannWhitneyTest(x: y, y: x)
        #expect(forward.u + backward.u == Double(x.count * y.count))
        #expect(forward.z == -backward.z)
        #expect(forward.pValue == backward.pValue)
        #expect(forward.shift == -backward.shift)
        #expect(forward.lower == -backward.upper)
        #expect(forward.upper == -backward.lower)
    }

    @Test("the shift and limits are members of the pairwise differences found by brute force")
    func limitsAreDifferences() throws {
        var random = SplitMix64(seed: 0x5EED_0031)
        let x = (0..<30).map { _ in random.unit() * 100 }
        let y = (0..<25).map { _ in random.unit() * 100 + 10 }
        let all = x.flatMap { xi in y.map { xi - $0 } }.sorted()
        let result = try MannWhitneyTest(x: x, y: y)
        #expect(all.contains(result.lower))
        #expect(all.contains(result.upper))
        #expect(result.shift == (all[all.count / 2 - 1] + all[all.count / 2]) / 2)
        let differences = PairwiseDifferences(x: x, y: y)
        for k in [1, 2, 100, 375, 376, 749, 750] {
            #expect(differences.orderStatistic(k) == all[k - 1], "k=\(k)")
        }
    }

    @Test("empty samples, non-finite values and bad confidence levels are refused with a code")
    func invalidInput() {
        func code(_ x: [Double], _ y: [Double], level: Double = 0.98) -> StatisticsError.Code? {
            do {
                _ = try MannWhitneyTest(x: x, y: y, confidenceLevel: level)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code([], [1]) == .emptySample)
        #expect(code([1], []) == .emptySample)
        #expect(code([1, .nan], [1]) == .nonFiniteValue)
        #expect(code([1], [.infinity]) == .nonFiniteValue)
        #expect(code([1], [2], level: 1) == .invalidConfidenceLevel)
        #expect(code([1], [2], level: 0) == .invalidConfidenceLevel)
    }

    @Test("large samples are handled without materializing the differences")
    func largeSamples() throws {
        var random = SplitMix64(seed: 0x5EED_0032)
        let x = (0..<3_000).map { _ in 100 + 10 * random.gaussian() }
        let y = (0..<3_000).map { _ in 102 + 10 * random.gaussian() }
        let result = try MannWhitneyTest(x: x, y: y)
        #expect(result.lower < -2 + 1.5 && result.upper > -2 - 1.5)
        #expect(result.lower < result.shift && result.shift < result.upper)
        #expect(result.isSignificant)
    }
}
