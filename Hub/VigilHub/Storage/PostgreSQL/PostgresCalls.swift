import Logging
import NIOCore
import PostgresNIO

// PostgresCalls: the events each commit stored, as calls for the circuit breakers, one `call_batches` row per
// commit. Readers must see every call exactly once although replicas' commits interleave, so rows are read in
// the order of the transaction that wrote them (`created_xid`) and only below the reader's snapshot xmin:
// every transaction with a lower xid has ended, so no row can still appear behind the reader's position.
//
// Invariants:
// - The position handed back (`CallBatch.lastRowid`) is an xid: every call_batches row with a lower or equal
//   xid was read (or skipped as older than `sinceUnixNano`), none above it.
// - Rows older than an hour are deleted by retention: the breakers' windows are minutes long.
enum PostgresCalls {
    /// Appends one commit's calls (nothing when it stored no event).
    static func append(_ calls: [CallRecord], connection: PostgresConnection, logger: Logger) async throws {
        if calls.isEmpty { return }
        var buffer = ByteBuffer()
        var newest: Int64 = 0
        for call in calls {
            buffer.writeInteger(call.timeUnixNano)
            buffer.writeInteger(call.durationMs.bitPattern)
            buffer.writeInteger(UInt8(call.failed ? 1 : 0))
            for text in [call.service, call.version, call.host] {
                buffer.writeInteger(UInt32(text.utf8.count))
                buffer.writeString(text)
            }
            newest = max(newest, call.timeUnixNano)
        }
        try await connection.query(
            "INSERT INTO call_batches (newest_time, calls) VALUES (\(newest), \(buffer))", logger: logger)
    }

    /// Calls of commits after position `after` (an xid; 0 for the start) whose time is at or after `since`, up
    /// to about `limit` calls (whole commits), and the position to continue from.
    static func read(
        after: Int64, since: Int64, limit: Int, pool: PostgresPool, logger: Logger
    ) async throws
        -> CallBatch
    {
        try await pool.withConnection { connection in
            let xmin = try await snapshotXmin(connection, logger: logger)
            var batch = CallBatch(calls: [], lastRowid: after, rowsRead: 0)
            let rows = try await connection.query(
                """
                SELECT created_xid::text::bigint, newest_time, calls FROM call_batches
                WHERE created_xid > \(String(after))::xid8 AND created_xid < \(String(xmin))::xid8
                ORDER BY created_xid
                """, logger: logger)
            var full = false
            for try await (xid, newest, calls) in rows.decode((Int64, Int64, ByteBuffer).self) {
                if full { break }
                batch.lastRowid = xid
                var buffer = calls
                let before = batch.calls.count
                while buffer.readableBytes > 0 {
                    guard let call = decode(&buffer) else { break }
                    batch.rowsRead += 1
                    if newest >= since && call.timeUnixNano >= since { batch.calls.append(call) }
                }
                if batch.calls.count - before > 0 && batch.calls.count >= limit { full = true }
                if batch.rowsRead >= limit { full = true }
            }
            // Caught up: every transaction below xmin has ended, so the position may move to just below it.
            if !full && xmin > 0 { batch.lastRowid = max(batch.lastRowid, xmin - 1) }
            return batch
        }
    }

    /// The current position (calls committed so far are behind it).
    static func position(pool: PostgresPool, logger: Logger) async throws -> Int64 {
        let xmin = try await pool.withConnection { connection in try await snapshotXmin(connection, logger: logger) }
        return max(0, xmin - 1)
    }

    /// The oldest transaction still running anywhere in the cluster (0 if unknown): no row below it can appear.
    private static func snapshotXmin(_ connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: logger)
            .collect().first?.decode(Int64.self) ?? 0
    }

    /// Deletes call rows whose newest call is before `cutoff`.
    static func expire(before cutoff: Int64, pool: PostgresPool, logger: Logger) async throws {
        try await pool.query("DELETE FROM call_batches WHERE newest_time < \(cutoff)")
    }

    private static func decode(_ buffer: inout ByteBuffer) -> CallRecord? {
        guard let time = buffer.readInteger(as: Int64.self), let duration = buffer.readInteger(as: UInt64.self),
            let failed = buffer.readInteger(as: UInt8.self)
        else { return nil }
        var texts: [String] = []
        for _ in 0..<3 {
            guard let count = buffer.readInteger(as: UInt32.self), let text = buffer.readString(length: Int(count))
            else { return nil }
            texts.append(text)
        }
        return CallRecord(
            timeUnixNano: time, service: texts[0], version: texts[1], host: texts[2], failed: failed != 0,
            durationMs: Double(bitPattern: duration))
    }
}
