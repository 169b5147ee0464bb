/* The undo journal that libpowercut.so writes and powercut-replay (or undo_replay_directory) plays back.
 *
 * One journal file per affected file that changed since its last sync, named <dev>-<ino>.undo in the
 * journal directory:
 *
 *   struct undo_header                 magic, the size at the last sync, the file's absolute path
 *   struct undo_record + length bytes  the synced content of [offset, offset + length), repeated
 *
 * A byte range is recorded at most once between two syncs (the first pre-image is the synced one), and
 * only below the header's size (bytes past it vanish when the file is truncated back to that size), so
 * replay order does not matter: write every pre-image back, then truncate to the size. A record cut
 * short at the end of the journal is ignored: the write it guards had not started (see powercut.c).
 */
#ifndef POWERCUT_UNDO_H
#define POWERCUT_UNDO_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define UNDO_MAGIC "PCUNDO1"
#define UNDO_SUFFIX ".undo"

struct undo_header {
    char magic[8];           /* UNDO_MAGIC, NUL-terminated */
    uint64_t synced_size;    /* the file's size at its last sync: what a power cut leaves */
    uint32_t path_length;    /* bytes of path used, without the NUL */
    uint32_t reserved;
    char path[PATH_MAX];     /* absolute path now (renames rewrite it) */
};

struct undo_record {
    uint64_t offset;
    uint64_t length;         /* followed by length bytes of pre-image */
};

/* What a replay did. */
struct undo_stats {
    unsigned journals;       /* journal files played back (and removed) */
    unsigned missing;        /* journals whose file no longer exists (skipped, removed) */
    uint64_t restored_bytes; /* pre-image bytes written back */
    uint64_t dropped_bytes;  /* bytes past the synced size cut off by the truncation */
};

/* Plays back and removes every journal in `directory`, fsyncing each restored file. Returns 0, or -1
 * with a message in `error`. The process that wrote the journals must be dead. */
int undo_replay_directory(const char *directory, struct undo_stats *stats, char *error, size_t error_size);

#endif
