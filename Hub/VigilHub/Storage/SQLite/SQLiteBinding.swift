import Foundation
import GRDB
import GRDBSQLite

/// Binds values to a prepared statement through the SQLite C API. The insert path uses these rather
/// than GRDB's argument arrays, which cost about half the insert rate.
struct SQLiteBinding {
    let handle: OpaquePointer

    /// SQLite copies the bytes before the call returns, so Swift buffers need not outlive it.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private static let empty: StaticString = ""

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, _ value: String) {
        var text = value
        _ = text.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                sqlite3_bind_text(
                    handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                    Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_text(
                    handle, index, UnsafeRawPointer(Self.empty.utf8Start).assumingMemoryBound(to: CChar.self), 0, nil)
            }
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds UTF-8 bytes as text, or NULL.
    func bind(_ index: Int32, utf8 text: [UInt8]?) {
        guard let text, !text.isEmpty else {
            if text == nil { sqlite3_bind_null(handle, index) } else { bind(index, "") }
            return
        }
        text.withUnsafeBufferPointer { bytes in
            _ = sqlite3_bind_text(
                handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                Int32(bytes.count), Self.transient)
        }
    }

    func bind(_ index: Int32, _ value: Data) {
        _ = value.withUnsafeBytes { raw in
            sqlite3_bind_blob(
                handle, index, raw.baseAddress ?? UnsafeRawPointer(Self.empty.utf8Start),
                Int32(raw.count), Self.transient)
        }
    }

    /// Steps a query: true with a row to read, false when done.
    func step(_ db: Database) throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ db: Database) throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}

/// The text and blob parameters of one statement, copied into one buffer and bound without SQLite copying
/// them again (`SQLITE_STATIC`) for as long as ``run(on:_:)`` runs the statement. On the insert path SQLite's
/// own copy of each value cost a malloc and, at the next bind, a free: seven per stored event.
struct StaticParameters {
    private var bytes: [UInt8] = []
    private var parameters: [(index: Int32, start: Int, count: Int, isBlob: Bool)] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        parameters.removeAll(keepingCapacity: true)
    }

    mutating func text(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { add(index, UnsafeRawBufferPointer($0), isBlob: false) }
    }

    /// UTF-8 bytes as text, or NULL.
    mutating func text(_ index: Int32, utf8 value: [UInt8]?) {
        guard let value else {
            parameters.append((index, -1, 0, false))
            return
        }
        value.withUnsafeBytes { add(index, $0, isBlob: false) }
    }

    mutating func blob(_ index: Int32, _ value: Data) {
        value.withUnsafeBytes { add(index, $0, isBlob: true) }
    }

    private mutating func add(_ index: Int32, _ value: UnsafeRawBufferPointer, isBlob: Bool) {
        parameters.append((index, bytes.count, value.count, isBlob))
        bytes.append(contentsOf: value)
    }

    /// Binds the parameters to `handle`, runs `body`, and then resets the statement and clears its
    /// bindings, so no pointer into the buffer outlives the call.
    func run<R>(on handle: OpaquePointer, _ body: () throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { buffer in
            defer {
                sqlite3_reset(handle)
                sqlite3_clear_bindings(handle)
            }
            let empty = UnsafeRawPointer(StaticString("").utf8Start)
            for p in parameters {
                if p.start < 0 {
                    sqlite3_bind_null(handle, p.index)
                    continue
                }
                let start = p.count > 0 ? buffer.baseAddress! + p.start : empty
                if p.isBlob {
                    sqlite3_bind_blob(handle, p.index, start, Int32(p.count), nil)
                } else {
                    sqlite3_bind_text(
                        handle, p.index, start.assumingMemoryBound(to: CChar.self), Int32(p.count), nil)
                }
            }
            return try body()
        }
    }
}
