/// A failure of the agent's SQLite buffer. The message is safe to log and to send to a client: it never
/// contains record contents or SQL arguments.
public struct BufferError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// The database could not be opened or created.
        case open
        /// The disk (or SQLite's size limit) is full; the write was refused and nothing was stored.
        case full
        /// SQLite reported an I/O or other error on write; the transaction was rolled back.
        case write
        /// A read for shipping failed.
        case read
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, with the SQLite result code where there is one.
    public var message: String
    /// SQLite's primary result code, if SQLite reported the failure.
    public var sqliteCode: Int32?

    /// Creates an error.
    public init(code: Code, message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { "buffer \(code.rawValue): \(message)" }
}
