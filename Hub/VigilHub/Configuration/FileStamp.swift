import Foundation

/// What a reload compares to tell that files changed on disk: each file's modification time, size and inode,
/// or nil for a file that cannot be read, so a rewrite, a rename over it and its removal all count as changes.
struct FileStamp: Hashable, Sendable {
    struct File: Hashable, Sendable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    /// One entry per path, in order.
    var files: [File?]

    /// Reads the stamps of `paths` now.
    init(_ paths: [String]) {
        files = paths.map { path in
            (try? FileManager.default.attributesOfItem(atPath: path)).map { attributes in
                File(
                    modified: attributes[.modificationDate] as? Date,
                    size: (attributes[.size] as? NSNumber)?.intValue,
                    inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue)
            }
        }
    }

    /// Whether every file could be read.
    var allPresent: Bool { files.allSatisfy { $0 != nil } }
}
