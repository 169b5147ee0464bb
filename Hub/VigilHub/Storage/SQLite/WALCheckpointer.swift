import Foundation
import GRDBSQLite
import Synchronization

/// Copies the hub database's write-ahead log into the main file from a thread and connection of its
/// own, so the single writer does not stop after a commit to write and fsync the pages of a
/// checkpoint (with batches of ~10k events that was a checkpoint, and its fsyncs, after every commit).
///
/// Invariants:
/// - **Passive only.** It runs `SQLITE_CHECKPOINT_PASSIVE`, which never takes the write lock, never
///   waits for readers or the writer, and copies only frames of committed transactions. Commits,
///   their durability (`store.durability`: the WAL fsynced, or only written, before `COMMIT` returns) and
///   the order of acknowledgements do not depend on it. SQLite syncs the WAL before a checkpoint copies it
///   and the database file after, so a checkpoint never makes a synced commit undone.
/// - **Bounded WAL.** The writer keeps SQLite's automatic checkpoint at ``backstopPages``: if this
///   thread falls behind, the writer checkpoints itself as before, so the WAL cannot grow unbounded.
///   When this thread keeps up, that checkpoint finds nothing left to copy.
/// - **Stops with its owner.** ``stop()`` (called when the store goes away) ends the loop; the thread
///   closes its connection on the way out.
final class WALCheckpointer: Sendable {
    /// Pages in the WAL at which the writer checkpoints by itself (SQLite's default is 1000).
    static let backstopPages = 16_000
    /// Pause between checkpoints. Each checkpoint copies every page changed since the last one, and the hot
    /// pages (index tails, streams, rollups) change in every commit: at 20 ms they were copied five times as
    /// often, which cost the hub 0.7 µs of CPU per event at 100k events/s.
    static let interval: Duration = .milliseconds(100)

    private let stopped = Atomic<Bool>(false)

    /// Starts checkpointing the database at `path` (already in WAL mode).
    init(path: String) {
        // The thread holds the checkpointer weakly, so it ends when the store is released.
        let thread = Thread { [weak self] in
            var db: OpaquePointer?
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK
            else {
                sqlite3_close(db)
                return
            }
            defer { sqlite3_close(db) }
            // A connection learns that the file is in WAL mode when it first reads it; until then a
            // checkpoint is a no-op.
            sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
            let pause = UInt32(Self.interval.components.attoseconds / 1_000_000_000_000)
            while let checkpointer = self, !checkpointer.stopped.load(ordering: .acquiring) {
                var logFrames: Int32 = 0
                var copied: Int32 = 0
                sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logFrames, &copied)
                usleep(pause)
            }
        }
        thread.name = "vigil.hub.checkpoint"
        thread.start()
    }

    /// Ends the loop after the checkpoint in progress, if any.
    func stop() {
        stopped.store(true, ordering: .releasing)
    }
}
