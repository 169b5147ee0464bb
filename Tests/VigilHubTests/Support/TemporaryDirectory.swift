import Foundation

/// A fresh directory under the system temp directory, removed when the test is done with it.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ prefix: String = "vigil-hub-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
