import Foundation
import GRDB
import Logging

extension RecordBuffer {
    /// Opens (or creates) the buffer at `options.path`.
    ///
    /// A database that cannot be opened as SQLite or fails `PRAGMA quick_check` is moved aside — kept
    /// beside the original as `NAME.corrupt-<unix-seconds>` with its `-wal` and `-shm` files, never
    /// deleted — and a fresh database (with a new stream id) is started. That is logged as an error
    /// and counted in ``BufferCounters/corruptRecoveries``.
    public static func open(
        _ options: BufferOptions,
        nowUnixNano: Int64,
        logger: Logger = Logger(label: "vigil.agent.buffer")
    ) throws(BufferError) -> RecordBuffer {
        do {
            return try openChecked(options, nowUnixNano: nowUnixNano, recoveries: nil)
        } catch let error where isDamage(error) {
            let asidePath = "\(options.path).corrupt-\(nowUnixNano / 1_000_000_000)"
            logger.error(
                "agent database is damaged; moved aside and starting a fresh one",
                metadata: ["buffer.path": "\(options.path)", "buffer.aside": "\(asidePath)", "error": "\(error)"]
            )
            do {
                try moveAside(options.path, to: asidePath)
                return try openChecked(options, nowUnixNano: nowUnixNano, recoveries: 1)
            } catch {
                throw classifyOpen(error, path: options.path)
            }
        } catch {
            throw classifyOpen(error, path: options.path)
        }
    }

    private struct Damaged: Error, CustomStringConvertible {
        var description: String
    }

    private static func isDamage(_ error: any Error) -> Bool {
        if error is Damaged { return true }
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode)
    }

    private static func classifyOpen(_ error: any Error, path: String) -> BufferError {
        if let error = error as? BufferError { return error }
        return BufferError(code: .open, message: "cannot open \(path): \(error)")
    }

    private static func openChecked(
        _ options: BufferOptions, nowUnixNano: Int64, recoveries: UInt64?
    ) throws -> RecordBuffer {
        let directory = (options.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let pool = try DatabasePool(path: options.path, configuration: Configuration())
        // Set on the writer once the pool is open: opening a DatabasePool puts its writer in WAL mode with
        // synchronous = NORMAL after `prepareDatabase` ran, so `durability: full` set there was silently NORMAL
        // (the power-cut scenario lost acknowledged records that way).
        let synchronous = options.durability == .full ? "FULL" : "NORMAL"
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        let check = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        guard check == ["ok"] else {
            throw Damaged(description: "quick_check: \(check.prefix(3).joined(separator: "; "))")
        }
        try BufferSchema.migrator().migrate(pool)
        return try pool.write { db in
            let streamID: Data
            if let existing = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'stream_id'") {
                streamID = existing
            } else {
                var generator = SystemRandomNumberGenerator()
                streamID = Data((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('stream_id', ?)", arguments: [streamID])
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES ('created_unix_nano', ?)", arguments: [nowUnixNano])
            }
            let savedNext = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'next_seq'") ?? 1
            let maxSeq = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM records") ?? 0
            let totals = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM records")
            let count: Int = totals?[0] ?? 0
            let bytes: Int = totals?[1] ?? 0
            var counters = try BufferCounters.load(db)
            if let recoveries {
                counters.corruptRecoveries += recoveries
                try counters.save(db)
            }
            let stampedTimes = StampedTimes(capacity: options.rememberedTimes)
            let saved = try Row.fetchAll(
                db, sql: "SELECT event_id, time_unix_nano FROM stamped_times ORDER BY id DESC LIMIT ?",
                arguments: [options.rememberedTimes]
            ).map { (id: $0[0] as Data, time: $0[1] as Int64) }
            stampedTimes.load(saved.reversed())
            var state = State(
                nextSeq: UInt64(max(savedNext, maxSeq + 1, 1)),
                storedRecords: count,
                storedBytes: bytes + count * rowOverheadBytes,
                counters: counters
            )
            state.stampedRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM stamped_times") ?? 0
            return RecordBuffer(
                pool: pool, options: options, streamID: streamID, state: state, stampedTimes: stampedTimes)
        }
    }

    private static func moveAside(_ path: String, to aside: String) throws {
        let files = FileManager.default
        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
    }
}
