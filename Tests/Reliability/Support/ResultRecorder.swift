import Foundation
import Synchronization
import VigilTestSupport

/// One scenario run's figures, appended as a JSON line to the results file, which `make soak` turns
/// into `Tests/Reliability/RESULTS.md` (`make-report.py`).
struct ScenarioResult: Codable, Sendable {
    var scenario: String
    var size = Scale.name
    var date = ISO8601DateFormatter().string(from: Date())
    var faults = 0
    var faultKinds: [String: Int] = [:]
    var verdict = Verdict()
    var drainSeconds: Double?
    var drainRatePerSecond: Double?
    var memory: [String: Fleet.MemoryFigures] = [:]
    var seconds = 0.0
    /// Whether the clients retried writes (off: only the hub's hwm can skip a repeat).
    var retries = true
    /// Whether losing records is allowed in this run (power cuts at `durability: normal`): reported, not failed.
    var allowsLoss = false
    var notes: [String] = []
}

/// Appends results to `VIGIL_RELIABILITY_RESULTS`, default `.build/reliability/results.jsonl`.
enum ResultRecorder {
    private static let lock = Mutex(())

    static var path: String {
        ProcessInfo.processInfo.environment["VIGIL_RELIABILITY_RESULTS"]
            ?? TestCertificates.root.appendingPathComponent(".build/reliability/results.jsonl").path
    }

    static func record(_ result: ScenarioResult) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(result) else { return }
        lock.withLock { _ in
            let url = URL(fileURLWithPath: path)
            try? FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = try? FileHandle(forWritingTo: url) else { return }
            handle.seekToEndOfFile()
            handle.write(data + Data("\n".utf8))
            try? handle.close()
        }
        print(
            "reliability \(result.scenario) [\(result.size)]: faults \(result.faults) \(result.faultKinds); \(result.verdict)"
        )
    }
}
