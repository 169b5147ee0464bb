import Foundation

/// Scenario sizes: short by default (for `make test`, a few minutes for all scenarios), full when
/// `VIGIL_SOAK=1` (`make soak`: at least 20 fault injections each, the 10-minute outage, the 30-minute soak).
enum Scale {
    static let isSoak = ProcessInfo.processInfo.environment["VIGIL_SOAK"] == "1"

    /// `short` normally, `soak` under `VIGIL_SOAK=1`.
    static func pick<T>(short: T, soak: T) -> T { isSoak ? soak : short }

    /// `"short"` or `"soak"`.
    static var name: String { isSoak ? "soak" : "short" }
}
