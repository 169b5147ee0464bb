import Testing

@testable import VigilAnalytics

@Suite("Normal distribution")
struct NormalDistributionTests {
    /// (p, scipy.stats.norm.ppf(p)) from scipy 1.17.
    static let quantiles: [(Double, Double)] = [
        (1e-300, -37.0470962993612), (1e-20, -9.262340089798409), (1e-10, -6.361340902404056),
        (0.001, -3.090232306167813), (0.01, -2.3263478740408408), (0.02, -2.053748910631823),
        (0.025, -1.9599639845400545), (0.1, -1.2815515655446004), (0.3, -0.5244005127080409), (0.5, 0.0),
        (0.75, 0.6744897501960817), (0.9, 1.2815515655446004), (0.975, 1.959963984540054),
        (0.99, 2.3263478740408408), (0.999999, 4.753424308817087),
    ]

    /// (z, norm.cdf(z), norm.sf(z)) from scipy 1.17.
    static let distribution: [(Double, Double, Double)] = [
        (-10.0, 7.61985302416047e-24, 1.0), (-5.0, 2.866515718791933e-07, 0.9999997133484281),
        (-2.326, 0.010009275340867669, 0.9899907246591323), (-1.0, 0.15865525393145707, 0.8413447460685429),
        (0.0, 0.5, 0.5), (0.5, 0.6914624612740131, 0.3085375387259869), (1.959963984540054, 0.975, 0.025),
        (3.0, 0.9986501019683699, 0.0013498980316300933), (8.0, 0.9999999999999993, 6.22096057427174e-16),
        (20.0, 1.0, 2.7536241186061556e-89),
    ]

    @Test("the quantile function matches scipy's norm.ppf to 1e-14 relative, tails included")
    func quantileMatchesScipy() {
        for (p, expected) in Self.quantiles {
            let actual = NormalDistribution.quantile(p)
            #expect(relativeError(actual, expected) <= 1e-14, "p=\(p) got \(actual) expected \(expected)")
        }
    }

    @Test("the CDF and survival function match scipy to 1e-13 relative, tails included")
    func cdfMatchesScipy() {
        for (z, cdf, survival) in Self.distribution {
            #expect(relativeError(NormalDistribution.cdf(z), cdf) <= 1e-13, "cdf(\(z))")
            #expect(relativeError(NormalDistribution.survival(z), survival) <= 1e-13, "sf(\(z))")
        }
    }

    @Test("quantile inverts the CDF and handles 0, 1 and values outside [0, 1]")
    func quantileInvertsCdf() {
        // Only the lower half: for z > 0, cdf(z) rounds near 1 and no inverse can recover z exactly.
        for z in stride(from: -8.0, through: 0, by: 0.25) {
            let roundTrip = NormalDistribution.quantile(NormalDistribution.cdf(z))
            #expect((roundTrip - z).magnitude <= 1e-12 * max(1, z.magnitude), "z=\(z)")
        }
        #expect(NormalDistribution.quantile(0) == -.infinity)
        #expect(NormalDistribution.quantile(1) == .infinity)
        #expect(NormalDistribution.quantile(1.5).isNaN)
        #expect(NormalDistribution.quantile(-0.1).isNaN)
    }
}
