import Foundation
import Testing
import VigilFuzzTargets
import VigilTestSupport

/// Replays every committed fuzz input — the seed corpus and each crash found so far (issue 6, item 12) —
/// through the same entry points `make fuzz` runs under libFuzzer. A crash input that breaks again
/// traps here, failing `make test`.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func inputs(_ target: FuzzTarget) -> [String] {
        let fuzz = TestCertificates.root.appendingPathComponent("Tests/Fuzz").path
        return ["Corpus", "Regressions"].flatMap { kind -> [String] in
            let directory = "\(fuzz)/\(kind)/\(target.directoryName)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(directory)/\($0)" }
        }
    }

    @Test("every seed and every kept crash input runs cleanly", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let files = Self.inputs(target)
        #expect(!files.isEmpty, "no committed inputs for \(target.rawValue)")
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: file))
            target.run(Array(data))
        }
    }
}
