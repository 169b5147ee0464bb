import Foundation
import Testing
import VigilTestSupport

/// The power-loss injector itself (`Tests/Reliability/PowerCut`, built by `make powercut`): its C self-test
/// writes, syncs and leaves unsynced a few dozen files under the interposer, cuts, replays, and checks each
/// file holds exactly its synced bytes. Run here so it counts among the tests and fails `make test`.
@Suite("Power-cut interposer")
struct PowerCutInterposerTests {
    @Test("a power cut leaves every file holding exactly the bytes that were synced")
    func selfTestPasses() throws {
        try PowerCut.requireBuilt()
        let (status, text) = try PowerCut.runTool(
            "\(PowerCut.buildDirectory)/powercut_selftest", [PowerCut.library])
        let lines = text.split(separator: "\n")
        let failed = lines.filter { $0.hasPrefix("not ok") }
        let passed = lines.filter { $0.hasPrefix("ok ") }
        #expect(status == 0, "self-test exit \(status):\n\(text)")
        #expect(failed.isEmpty, "\(failed.joined(separator: "\n"))")
        // The self-test states ~35 checks; far fewer means it stopped early (a child that never got ready).
        #expect(passed.count >= 30, "only \(passed.count) checks passed:\n\(text)")
    }
}
