/// Why the store could not do what was asked. The message never contains SQL arguments (record
/// contents), only what failed and the SQLite result.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The database could not be opened, checked or migrated.
        public static let open = Code("open")
        /// A write failed; the transaction was rolled back and nothing of it is stored.
        public static let write = Code("write")
        /// The disk is full; nothing of the transaction is stored.
        public static let full = Code("full")
        /// A read failed.
        public static let read = Code("read")
        /// The store is closed (the hub is shutting down).
        public static let closed = Code("closed")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// What failed, in words an operator can act on.
    public var message: String
    /// The primary SQLite result code, when SQLite reported the failure.
    public var sqliteCode: Int32?

    /// Creates an error.
    public init(code: Code, message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { "store \(code): \(message)" }
}
