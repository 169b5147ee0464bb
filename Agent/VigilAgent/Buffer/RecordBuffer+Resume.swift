import Foundation
import GRDB

extension RecordBuffer {
    /// Takes the hub's `Welcome.resume_after_seq` for this stream: deletes the records the hub already
    /// holds and returns how many were deleted.
    ///
    /// If the hub holds seqs this buffer never assigned (`seq` ≥ the next seq), the database went back
    /// in time — a damaged WAL whose latest commits SQLite dropped on open, or a restored copy — and the
    /// records it now holds at or below `seq` may be ones no hub has seen, acknowledged to clients after
    /// the rewind. They are renumbered to follow the hub's position (order kept) and shipped, never
    /// deleted as acknowledged; the next seq moves past them. Events among them that the hub already has
    /// are skipped there by event id. Found by the reliability harness (issue 6, damaged WAL).
    @discardableResult
    public func resume(after seq: UInt64) async throws(BufferError) -> Int {
        do {
            try await pool.writeWithoutTransaction { db in
                var s = self.state.withLock { $0 }
                guard seq >= s.nextSeq, seq < UInt64(Int64.max) / 2 else { return }
                try db.inTransaction {
                    let bounds = try Row.fetchOne(db, sql: "SELECT min(seq), max(seq) FROM records")
                    if let low: Int64 = bounds?[0], let high: Int64 = bounds?[1] {
                        let offset = Int64(seq) + 1 - low
                        // Two steps, so no row ever takes a seq another row still has.
                        try db.execute(sql: "UPDATE records SET seq = -seq")
                        try db.execute(sql: "UPDATE records SET seq = -seq + ?", arguments: [offset])
                        s.nextSeq = UInt64(high + offset + 1)
                    } else {
                        s.nextSeq = seq + 1
                    }
                    try db.execute(
                        sql: """
                            INSERT INTO meta (key, value) VALUES ('next_seq', ?)
                            ON CONFLICT (key) DO UPDATE SET value = excluded.value
                            """,
                        arguments: [Int64(bitPattern: s.nextSeq)])
                    return .commit
                }
                self.state.withLock { $0.nextSeq = s.nextSeq }
            }
        } catch {
            throw Self.classify(error, during: .write)
        }
        return try await deleteThrough(seq)
    }
}
