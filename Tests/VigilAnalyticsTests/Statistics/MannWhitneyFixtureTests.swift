import Foundation
import Testing

@testable import VigilAnalytics

/// One case of Fixtures/mannwhitney_cases.json, written by Fixtures/make_mannwhitney_fixtures.py
/// (scipy.stats.mannwhitneyu for U and p, brute force for the shift, a transcription of R's
/// wilcox.test.default asymptotic interval for the limits).
struct MannWhitneyCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let note: String
    let x: [Double]
    let y: [Double]
    let nX: Int
    let nY: Int
    let u: Double
    let z: Double
    let p: Double
    let shift: Double
    let lower: Double
    let upper: Double

    var testDescription: String { name }

    struct Document: Decodable {
        let confidenceLevel: Double
        let cases: [MannWhitneyCase]
    }

    static func load() throws -> Document {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let data = try Data(contentsOf: folder.appendingPathComponent("mannwhitney_cases.json"))
        return try JSONDecoder().decode(Document.self, from: data)
    }

    static var all: [MannWhitneyCase] {
        get throws { try load().cases }
    }
}

/// Equal to 1e-6 relative, or 1e-9 absolute near zero.
func closeEnough(_ actual: Double, _ expected: Double) -> Bool {
    (actual - expected).magnitude <= max(1e-6 * expected.magnitude, 1e-9)
}

@Suite("Mann-Whitney U against scipy and R's algorithm")
struct MannWhitneyFixtureTests {
    @Test("the fixture holds at least 30 cases at the 98 % level")
    func fixtureIsComplete() throws {
        let document = try MannWhitneyCase.load()
        #expect(document.cases.count >= 30)
        #expect(document.confidenceLevel == 0.98)
    }

    @Test(
        "U, z, p, the Hodges-Lehmann shift and the 98 % interval match the reference",
        arguments: try MannWhitneyCase.all)
    func matchesReference(reference: MannWhitneyCase) throws {
        let result = try MannWhitneyTest(x: reference.x, y: reference.y, confidenceLevel: 0.98)
        #expect(result.nX == reference.nX)
        #expect(result.nY == reference.nY)
        #expect(closeEnough(result.u, reference.u), "U \(result.u) vs \(reference.u)")
        #expect(closeEnough(result.z, reference.z), "z \(result.z) vs \(reference.z)")
        #expect(closeEnough(result.pValue, reference.p), "p \(result.pValue) vs \(reference.p)")
        #expect(closeEnough(result.shift, reference.shift), "shift \(result.shift) vs \(reference.shift)")
        #expect(closeEnough(result.lower, reference.lower), "lower \(result.lower) vs \(reference.lower)")
        #expect(closeEnough(result.upper, reference.upper), "upper \(result.upper) vs \(reference.upper)")
        #expect(result.lower <= result.shift && result.shift <= result.upper)
    }
}
