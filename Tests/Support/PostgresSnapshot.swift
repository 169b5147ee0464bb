import Foundation
import GRDB

extension PostgresServer {
    /// Copies what the reliability oracle reads of a PostgreSQL hub store into a new SQLite file at `path`, under
    /// the SQLite store's table and column names (`streams`, `stream_numbers`, `events`, `samples`): the oracle,
    /// the seq audit and the resend probe then judge both stores with the same code. The three tables are read in
    /// one repeatable-read transaction, so the copy is one moment of the store (a hwm never lags its records).
    public func snapshot(_ database: String, to path: String) throws {
        let all = try rows(
            database,
            """
            BEGIN ISOLATION LEVEL REPEATABLE READ;
            SELECT 's', n, agent_id, encode(stream_id, 'hex'), hwm, duplicates, duplicate_events, missing FROM streams;
            SELECT 'e', stream, seq, time_unix_nano, encode(event_id, 'hex'), service, version, name, outcome,
                   duration_ms, error_category
            FROM events;
            SELECT 'm', stream, seq, time_unix_nano, metric, value FROM samples;
            COMMIT;
            """)
        func table(_ marker: String) -> [[String]] {
            all.filter { $0.first == marker }.map { Array($0.dropFirst()) }
        }
        let (streams, events, samples) = (table("s"), table("e"), table("m"))
        try? FileManager.default.removeItem(atPath: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE streams (agent_id TEXT, stream_id BLOB, hwm INTEGER, duplicates INTEGER,
                                          duplicate_events INTEGER, missing INTEGER);
                    CREATE TABLE stream_numbers (n INTEGER, agent_id TEXT, stream_id BLOB);
                    CREATE TABLE events (stream INTEGER, seq INTEGER, time_unix_nano INTEGER, event_id BLOB, service TEXT,
                                         version TEXT, name TEXT, outcome INTEGER, duration_ms REAL, error_category TEXT);
                    CREATE TABLE samples (stream INTEGER, seq INTEGER, time_unix_nano INTEGER, metric TEXT, value REAL);
                    """)
            for row in streams {
                let stream = Data(hex: row[2])
                try db.execute(
                    sql: "INSERT INTO streams VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [row[1], stream, Int64(row[3]), Int64(row[4]), Int64(row[5]), Int64(row[6])])
                try db.execute(
                    sql: "INSERT INTO stream_numbers VALUES (?, ?, ?)", arguments: [Int64(row[0]), row[1], stream])
            }
            for row in events {
                try db.execute(
                    sql: "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        Int64(row[0]), Int64(row[1]), Int64(row[2]), Data(hex: row[3]), row[4], row[5], row[6],
                        Int64(row[7]), Double(row[8]), row[9],
                    ])
            }
            for row in samples {
                try db.execute(
                    sql: "INSERT INTO samples VALUES (?, ?, ?, ?, ?)",
                    arguments: [Int64(row[0]), Int64(row[1]), Int64(row[2]), row[3], Double(row[4])])
            }
        }
    }

    /// The rows of `sql` (of each statement in it), each split into its columns: psql's unit and record
    /// separators, and the newline psql ends each statement's rows with, none of which the tests' agent text holds.
    public func rows(_ database: String, _ sql: String) throws -> [[String]] {
        let output = try psql(database, sql, fieldSeparator: "\u{1F}", recordSeparator: "\u{1E}")
        return output.split(omittingEmptySubsequences: true) { $0 == "\u{1E}" || $0 == "\n" }.map {
            $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        }
    }
}

extension Data {
    /// The bytes of lower- or upper-case hex text (an odd last digit is ignored).
    init(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: continue
            }
            if let h = high {
                bytes.append(h << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        self.init(bytes)
    }
}
