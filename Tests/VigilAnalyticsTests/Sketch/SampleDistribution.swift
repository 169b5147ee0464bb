// The seeded value distributions the sketch accuracy tests draw from.
import Foundation
import Testing
import VigilTestSupport

/// A named, seeded distribution of latency-like values (milliseconds).
enum SampleDistribution: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case uniform
    case lognormal
    case bimodal
    case constant
    /// log-uniform from 1e-3 ms (1 µs) to 3.6e6 ms (1 h).
    case logUniform
    /// normal around 0: negative, zero and positive values.
    case mixedSign

    var testDescription: String { rawValue }

    func values(count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in draw(&random) }
    }

    private func draw(_ random: inout SplitMix64) -> Double {
        switch self {
        case .uniform:
            return random.unit() * 1000
        case .lognormal:
            return exp(log(50) + random.gaussian())
        case .bimodal:
            return random.unit() < 0.7
                ? exp(log(20) + 0.2 * random.gaussian())
                : exp(log(800) + 0.3 * random.gaussian())
        case .constant:
            return 42
        case .logUniform:
            return exp(log(1e-3) + random.unit() * (log(3.6e6) - log(1e-3)))
        case .mixedSign:
            // A tenth are exact zeros, the rest normal with σ = 100.
            return random.unit() < 0.1 ? 0 : 100 * random.gaussian()
        }
    }
}
