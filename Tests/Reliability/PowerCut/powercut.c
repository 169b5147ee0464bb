/* libpowercut.so: a power-loss fault injector for one process, loaded with LD_PRELOAD (per process what
 * Jepsen's lazyfs does for a file system).
 *
 *   LD_PRELOAD=/abs/build/libpowercut.so POWERCUT_DIR=/dir [POWERCUT_JOURNAL=/undo] [POWERCUT_LOG=/log] cmd
 *
 * Files below POWERCUT_DIR (but not ones ending in "-shm", SQLite's shared-memory index, rebuilt from
 * the WAL after a crash) are "affected". A power cut leaves each affected file holding exactly what was
 * synced: its content and size as of its last fsync, fdatasync, sync_file_range(..WAIT_AFTER), syncfs
 * or sync, or as of when this process first opened it.
 *
 * How. Writes go through at once (so reads see them, as they would the page cache), but before one
 * proceeds the interposer appends the synced pre-image of the bytes it will change to the file's undo
 * journal (POWERCUT_JOURNAL, default POWERCUT_DIR.undo; one <dev>-<ino>.undo per changed file, format
 * in undo.h). A sync of the file empties its journal. The cut is two steps:
 *
 *   1. SIGUSR2 (handler installed, and unblocked, by the constructor) kills the process with SIGKILL
 *      from the handler, a raw syscall and nothing else. (SIGKILL from outside does the same.)
 *   2. Once the process is dead, `powercut-replay JOURNAL_DIR` writes every pre-image back, truncates
 *      each file to its synced size, and removes the journals.
 *
 * Why not undo inside the dying process: its other threads keep writing while a handler restores, and
 * a handler cannot take the lock they hold. After SIGKILL nothing writes any more, so the replay is
 * exact; it is also what a harness can always do, however the process died.
 *
 * Invariants:
 * - A journal record is complete (its write(2) returned) before the write it guards starts, so every
 *   change on disk has its pre-image in the journal. A record cut short at the journal's end guards a
 *   write that never started, and replay ignores it. The journal is not fsynced: the simulated cut is a
 *   process death, which the host's page cache survives (only a real host crash would need it).
 * - A byte is journaled at most once between two syncs of its file, and only below the synced size, so
 *   each journal holds only synced content and replay order does not matter.
 * - Bookkeeping, the guarded write and the sync that empties a journal hold one mutex, so no write can
 *   slip between a sync and the emptying of its journal (affected files' writes are serialized).
 * - One process at a time per POWERCUT_DIR; the constructor refuses to start over an unreplayed journal.
 *
 * Covered: open, open64, openat, openat64, __open_2 and friends, creat (O_TRUNC journals the old
 * content), write, pwrite, pwrite64, writev, pwritev, pwritev64, pwritev2 (O_APPEND and RWF_APPEND
 * write at the end), ftruncate, truncate, fallocate, posix_fallocate, fsync, fdatasync,
 * sync_file_range, syncfs, sync, close, dup, dup2, dup3, fcntl(F_DUPFD*), rename, renameat, renameat2,
 * unlink, unlinkat. Files are known by inode, so several descriptors (SQLite connections) share one.
 * Not modelled: namespace operations are durable at once (a created file survives a cut, empty if never
 * synced; rename and unlink take effect at once, as if the directory were fsynced); O_SYNC/O_DSYNC
 * writes count as unsynced until a sync; sync_file_range syncs the whole file; writes through mmap,
 * stdio's internal calls and raw syscalls are not seen.
 */
#define _GNU_SOURCE
#include "undo.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif
#ifndef FALLOC_FL_INSERT_RANGE
#define FALLOC_FL_INSERT_RANGE 0x20
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define MAX_FILES 512
#define MAX_FDS 65536
#define SCRATCH_BYTES (1 << 20)

struct range {
    uint64_t start, end;
};

/* An affected file (by inode) this process has opened. */
struct tracked {
    int used;
    dev_t dev;
    ino_t ino;
    int reader;              /* read-only descriptor: pre-images, and the path after renames */
    int journal;             /* the journal's descriptor, -1 until first needed */
    int dirty;               /* the journal holds a header: the file changed since its last sync */
    uint64_t synced_size;    /* what a cut truncates the file back to */
    uint64_t journal_length;
    struct range *covered;   /* sorted, disjoint: ranges below synced_size journaled since the last sync */
    size_t covered_count, covered_capacity;
    uint64_t writes, written, journaled; /* since the last sync, for the log */
    char path[PATH_MAX];
};

static struct tracked files[MAX_FILES];
static int fd_file[MAX_FDS]; /* 1 + index into files; 0: not affected */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int active;
static char root[PATH_MAX];
static size_t root_length;
static char journal_directory[PATH_MAX];
static size_t journal_directory_length;
static int log_fd = -1;
static char *scratch;

static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev2)(int, const struct iovec *, int, off_t, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_truncate)(const char *, off_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_posix_fallocate)(int, off_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_sync_file_range)(int, off64_t, off64_t, unsigned int);
static int (*real_syncfs)(int);
static void (*real_sync)(void);
static int (*real_close)(int);
static int (*real_dup)(int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);
static int (*real_unlinkat)(int, const char *, int);

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

static void resolve(void) {
    if (real_close != NULL) return;
    real_openat = next("openat");
    real_write = next("write");
    real_pwrite = next("pwrite");
    real_writev = next("writev");
    real_pwritev = next("pwritev");
    real_pwritev2 = next("pwritev2");
    real_ftruncate = next("ftruncate");
    real_truncate = next("truncate");
    real_fallocate = next("fallocate");
    real_posix_fallocate = next("posix_fallocate");
    real_fsync = next("fsync");
    real_fdatasync = next("fdatasync");
    real_sync_file_range = next("sync_file_range");
    real_syncfs = next("syncfs");
    real_sync = next("sync");
    real_dup = next("dup");
    real_dup3 = next("dup3");
    real_fcntl = next("fcntl");
    real_renameat = next("renameat");
    real_renameat2 = next("renameat2");
    real_unlinkat = next("unlinkat");
    __atomic_store_n(&real_close, (int (*)(int))next("close"), __ATOMIC_RELEASE);
}

static void log_line(const char *format, ...) {
    if (log_fd < 0) return;
    char line[PATH_MAX + 256];
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(line, sizeof line - 1, format, arguments);
    va_end(arguments);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    ssize_t ignored = real_write(log_fd, line, (size_t)n);
    (void)ignored;
}

/* A broken guarantee must not pass for a passing test: say why and end the process. */
__attribute__((noreturn)) static void die(const char *format, ...) {
    char line[PATH_MAX + 256];
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (n > 0) {
        ssize_t ignored = real_write(2, "powercut: ", 10);
        ignored = real_write(2, line, strnlen(line, sizeof line));
        ignored = real_write(2, "\n", 1);
        (void)ignored;
    }
    log_line("fatal %s", line);
    _exit(86);
}

static void write_all(int fd, const void *buffer, size_t length, uint64_t offset, const char *what) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = real_pwrite(fd, (const char *)buffer + done, length - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("writing %s: %s", what, strerror(errno));
        done += (size_t)n;
    }
}

static int affected(const char *path) {
    size_t length = strlen(path);
    if (length <= root_length || strncmp(path, root, root_length) != 0 || path[root_length] != '/') return 0;
    if (length >= 4 && strcmp(path + length - 4, "-shm") == 0) return 0;
    if (strncmp(path, journal_directory, journal_directory_length) == 0 &&
        path[journal_directory_length] == '/')
        return 0;
    return 1;
}

static int fd_path(int fd, char *path) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, PATH_MAX - 1);
    if (n <= 0) return -1;
    path[n] = '\0';
    return 0;
}

static struct tracked *find(dev_t dev, ino_t ino) {
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].used && files[i].dev == dev && files[i].ino == ino) return &files[i];
    return NULL;
}

static void write_header(struct tracked *f) {
    struct undo_header header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, UNDO_MAGIC, sizeof UNDO_MAGIC);
    header.synced_size = f->synced_size;
    header.path_length = (uint32_t)strlen(f->path);
    memcpy(header.path, f->path, header.path_length);
    write_all(f->journal, &header, sizeof header, 0, "an undo journal header");
}

#define JOURNAL_NAME_MAX (PATH_MAX + 64)

static void journal_name(const struct tracked *f, char *name) {
    snprintf(name, JOURNAL_NAME_MAX, "%s/%lu-%lu" UNDO_SUFFIX, journal_directory, (unsigned long)f->dev,
             (unsigned long)f->ino);
}

/* Starts the file's journal if this is its first change since a sync. */
static void mark_dirty(struct tracked *f) {
    if (f->dirty) return;
    if (f->journal < 0) {
        char name[JOURNAL_NAME_MAX];
        journal_name(f, name);
        f->journal = real_openat(AT_FDCWD, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (f->journal < 0) die("open %s: %s", name, strerror(errno));
    }
    write_header(f);
    f->journal_length = sizeof(struct undo_header);
    f->dirty = 1;
}

/* Appends the current content of [start, end) as a pre-image. */
static void record(struct tracked *f, uint64_t start, uint64_t end) {
    while (start < end) {
        size_t want = end - start < SCRATCH_BYTES ? (size_t)(end - start) : SCRATCH_BYTES;
        ssize_t got = pread(f->reader, scratch, want, (off_t)start);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) die("reading a pre-image of %s: %s", f->path, strerror(errno));
        if (got == 0) {
            /* Shorter than its synced size behind our back (a descriptor this library never saw). */
            log_line("short %s at %llu", f->path, (unsigned long long)start);
            return;
        }
        struct undo_record head = {.offset = start, .length = (uint64_t)got};
        write_all(f->journal, &head, sizeof head, f->journal_length, "an undo record");
        write_all(f->journal, scratch, (size_t)got, f->journal_length + sizeof head, "an undo record");
        f->journal_length += sizeof head + (uint64_t)got;
        f->journaled += (uint64_t)got;
        start += (uint64_t)got;
    }
}

/* The first covered range that ends at or after `at`. */
static size_t first_reaching(struct tracked *f, uint64_t at) {
    size_t low = 0, high = f->covered_count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (f->covered[middle].end < at) low = middle + 1;
        else high = middle;
    }
    return low;
}

static void cover(struct tracked *f, uint64_t start, uint64_t end) {
    size_t i = first_reaching(f, start), j = i;
    while (j < f->covered_count && f->covered[j].start <= end) {
        if (f->covered[j].start < start) start = f->covered[j].start;
        if (f->covered[j].end > end) end = f->covered[j].end;
        j++;
    }
    if (j == i) {
        if (f->covered_count == f->covered_capacity) {
            size_t capacity = f->covered_capacity ? f->covered_capacity * 2 : 16;
            struct range *grown = realloc(f->covered, capacity * sizeof *grown);
            if (grown == NULL) die("out of memory");
            f->covered = grown;
            f->covered_capacity = capacity;
        }
        memmove(f->covered + i + 1, f->covered + i, (f->covered_count - i) * sizeof *f->covered);
        f->covered_count++;
    } else {
        memmove(f->covered + i + 1, f->covered + j, (f->covered_count - j) * sizeof *f->covered);
        f->covered_count -= j - i - 1;
    }
    f->covered[i] = (struct range){start, end};
}

/* Journals the synced bytes of [start, end) that are not journaled yet; the file must be dirty. */
static void preserve(struct tracked *f, uint64_t start, uint64_t end) {
    if (end > f->synced_size) end = f->synced_size;
    if (start >= end) return;
    uint64_t at = start;
    for (size_t i = first_reaching(f, start); i < f->covered_count && at < end; i++) {
        struct range r = f->covered[i];
        if (r.start >= end) break;
        if (r.start > at) record(f, at, r.start);
        if (r.end > at) at = r.end;
    }
    if (at < end) record(f, at, end);
    cover(f, start, end);
}

static void forget_descriptors(struct tracked *f) {
    int index = (int)(f - files) + 1;
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (fd_file[fd] == index) __atomic_store_n(&fd_file[fd], 0, __ATOMIC_RELAXED);
}

/* The file is gone (unlinked, or replaced by a rename): nothing of it to restore. */
static void drop(struct tracked *f, const char *why) {
    log_line("drop %s (%s)", f->path, why);
    forget_descriptors(f);
    if (f->journal >= 0) {
        real_close(f->journal);
        char name[JOURNAL_NAME_MAX];
        journal_name(f, name);
        real_unlinkat(AT_FDCWD, name, 0);
    }
    real_close(f->reader);
    free(f->covered);
    memset(f, 0, sizeof *f);
}

/* The file is synced: what it holds now is what a cut leaves. */
static void clean(struct tracked *f, const char *how) {
    struct stat st;
    if (fstat(f->reader, &st) != 0) die("fstat %s: %s", f->path, strerror(errno));
    if (f->dirty) {
        if (real_ftruncate(f->journal, 0) != 0) die("emptying the journal of %s: %s", f->path, strerror(errno));
        log_line("%s %s writes=%llu bytes=%llu journaled=%llu size=%lld", how, f->path,
                 (unsigned long long)f->writes, (unsigned long long)f->written,
                 (unsigned long long)f->journaled, (long long)st.st_size);
    }
    f->dirty = 0;
    f->covered_count = 0;
    f->synced_size = (uint64_t)st.st_size;
    f->writes = f->written = f->journaled = 0;
}

/* The tracked file behind `fd` (registering `fd` when `keep`), or NULL if it is not affected. */
static struct tracked *adopt(int fd, int keep) {
    if (keep && fd < MAX_FDS) __atomic_store_n(&fd_file[fd], 0, __ATOMIC_RELAXED);
    char path[PATH_MAX];
    struct stat st;
    if (fd_path(fd, path) != 0 || !affected(path) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
    if (keep && fd >= MAX_FDS) die("descriptor %d of %s is past the table", fd, path);
    struct tracked *f = find(st.st_dev, st.st_ino);
    if (f == NULL) {
        /* A file now at this path replaces any older one we still know under it. */
        for (int i = 0; i < MAX_FILES; i++)
            if (files[i].used && strcmp(files[i].path, path) == 0) drop(&files[i], "replaced");
        for (int i = 0; i < MAX_FILES && f == NULL; i++)
            if (!files[i].used) f = &files[i];
        if (f == NULL) die("more than %d affected files", MAX_FILES);
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        int reader = real_openat(AT_FDCWD, link, O_RDONLY | O_CLOEXEC, 0);
        if (reader < 0) die("reopen %s for reading: %s", path, strerror(errno));
        memset(f, 0, sizeof *f);
        f->used = 1;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->reader = reader;
        f->journal = -1;
        f->synced_size = (uint64_t)st.st_size;
        memcpy(f->path, path, strlen(path) + 1);
        log_line("track %s size=%lld", path, (long long)st.st_size);
    }
    if (keep) __atomic_store_n(&fd_file[fd], (int)(f - files) + 1, __ATOMIC_RELAXED);
    return f;
}

static int maybe_tracked(int fd) {
    return active && fd >= 0 && fd < MAX_FDS && __atomic_load_n(&fd_file[fd], __ATOMIC_RELAXED) != 0;
}

/* The tracked file behind a registered `fd`, checked against its inode (the descriptor may have been
 * closed behind our back and reused); NULL if none. Call with the lock held. */
static struct tracked *tracked(int fd, struct stat *st) {
    if (!maybe_tracked(fd)) return NULL;
    struct tracked *f = &files[fd_file[fd] - 1];
    if (fstat(fd, st) != 0 || !f->used || st->st_dev != f->dev || st->st_ino != f->ino) {
        __atomic_store_n(&fd_file[fd], 0, __ATOMIC_RELAXED);
        return NULL;
    }
    return f;
}

/* Takes the lock and journals what a write of `length` bytes at `offset` (-1: the current position)
 * will overwrite; returns NULL (unlocked) if `fd` is not affected. */
static struct tracked *begin_write(int fd, int64_t offset, uint64_t length, int append) {
    if (!maybe_tracked(fd)) return NULL;
    int saved = errno;
    pthread_mutex_lock(&lock);
    struct stat st;
    struct tracked *f = tracked(fd, &st);
    if (f == NULL) {
        pthread_mutex_unlock(&lock);
        errno = saved;
        return NULL;
    }
    int flags = real_fcntl(fd, F_GETFL);
    uint64_t at;
    if (append || (flags >= 0 && (flags & O_APPEND))) {
        at = (uint64_t)st.st_size; /* Linux appends even for pwrite on an O_APPEND descriptor */
    } else if (offset >= 0) {
        at = (uint64_t)offset;
    } else {
        off_t position = lseek(fd, 0, SEEK_CUR);
        at = position < 0 ? 0 : (uint64_t)position;
    }
    mark_dirty(f);
    preserve(f, at, at + length);
    f->writes += 1;
    f->written += length;
    errno = saved;
    return f;
}

static void finish(struct tracked *f) {
    if (f == NULL) return;
    int saved = errno;
    pthread_mutex_unlock(&lock);
    errno = saved;
}

static uint64_t total(const struct iovec *iov, int count) {
    uint64_t sum = 0;
    for (int i = 0; i < count; i++) sum += iov[i].iov_len;
    return sum;
}

static int needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

static int open_common(int dirfd, const char *path, int flags, mode_t mode) {
    resolve();
    if (!active) return real_openat(dirfd, path, flags, mode);
    int truncating = (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY;
    int fd = real_openat(dirfd, path, truncating ? flags & ~O_TRUNC : flags, mode);
    if (fd < 0) return fd;
    int saved = errno;
    pthread_mutex_lock(&lock);
    struct tracked *f = adopt(fd, 1);
    if (truncating) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            if (f != NULL) {
                mark_dirty(f);
                preserve(f, 0, (uint64_t)st.st_size);
                log_line("truncate %s to 0 (O_TRUNC)", f->path);
            }
            if (real_ftruncate(fd, 0) != 0) saved = errno;
        }
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return fd;
}

#define MODE_ARGUMENT(flags, last)                                                                            \
    mode_t mode = 0;                                                                                          \
    if (needs_mode(flags)) {                                                                                  \
        va_list arguments;                                                                                    \
        va_start(arguments, last);                                                                            \
        mode = (mode_t)va_arg(arguments, unsigned int);                                                       \
        va_end(arguments);                                                                                    \
    }

int open(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, flags);
    return open_common(AT_FDCWD, path, flags, mode);
}
int open64(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, flags);
    return open_common(AT_FDCWD, path, flags, mode);
}
int openat(int dirfd, const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, flags);
    return open_common(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
    MODE_ARGUMENT(flags, flags);
    return open_common(dirfd, path, flags, mode);
}
int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags) { return open_common(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags) { return open_common(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags) { return open_common(dirfd, path, flags, 0); }
int __openat64_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags) { return open_common(dirfd, path, flags, 0); }
int creat(const char *path, mode_t mode) { return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) {
    return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

ssize_t write(int fd, const void *buffer, size_t length) {
    resolve();
    struct tracked *f = begin_write(fd, -1, length, 0);
    ssize_t n = real_write(fd, buffer, length);
    finish(f);
    return n;
}

ssize_t pwrite(int fd, const void *buffer, size_t length, off_t offset) {
    resolve();
    struct tracked *f = begin_write(fd, offset, length, 0);
    ssize_t n = real_pwrite(fd, buffer, length, offset);
    finish(f);
    return n;
}
ssize_t pwrite64(int fd, const void *buffer, size_t length, off64_t offset) {
    return pwrite(fd, buffer, length, (off_t)offset);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
    resolve();
    struct tracked *f = begin_write(fd, -1, total(iov, count), 0);
    ssize_t n = real_writev(fd, iov, count);
    finish(f);
    return n;
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) {
    resolve();
    struct tracked *f = begin_write(fd, offset, total(iov, count), 0);
    ssize_t n = real_pwritev(fd, iov, count, offset);
    finish(f);
    return n;
}
ssize_t pwritev64(int fd, const struct iovec *iov, int count, off64_t offset) {
    return pwritev(fd, iov, count, (off_t)offset);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int count, off_t offset, int flags) {
    resolve();
    struct tracked *f = begin_write(fd, offset, total(iov, count), (flags & RWF_APPEND) != 0);
    ssize_t n = real_pwritev2(fd, iov, count, offset, flags);
    finish(f);
    return n;
}
ssize_t pwritev64v2(int fd, const struct iovec *iov, int count, off64_t offset, int flags) {
    return pwritev2(fd, iov, count, (off_t)offset, flags);
}

int ftruncate(int fd, off_t length) {
    resolve();
    struct tracked *f = NULL;
    if (maybe_tracked(fd) && length >= 0) {
        pthread_mutex_lock(&lock);
        struct stat st;
        f = tracked(fd, &st);
        if (f == NULL) {
            pthread_mutex_unlock(&lock);
        } else {
            mark_dirty(f);
            preserve(f, (uint64_t)length, (uint64_t)st.st_size);
        }
    }
    int status = real_ftruncate(fd, length);
    finish(f);
    return status;
}
int ftruncate64(int fd, off64_t length) { return ftruncate(fd, (off_t)length); }

int truncate(const char *path, off_t length) {
    resolve();
    if (!active || length < 0) return real_truncate(path, length);
    int probe = real_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (probe < 0) return real_truncate(path, length);
    pthread_mutex_lock(&lock);
    struct tracked *f = adopt(probe, 0);
    struct stat st;
    if (f != NULL && fstat(probe, &st) == 0) {
        mark_dirty(f);
        preserve(f, (uint64_t)length, (uint64_t)st.st_size);
    }
    int status = real_truncate(path, length);
    int saved = errno;
    real_close(probe);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}
int truncate64(const char *path, off64_t length) { return truncate(path, (off_t)length); }

int fallocate(int fd, int mode, off_t offset, off_t length) {
    resolve();
    struct tracked *f = NULL;
    if (maybe_tracked(fd) && offset >= 0 && length > 0) {
        pthread_mutex_lock(&lock);
        struct stat st;
        f = tracked(fd, &st);
        if (f == NULL) {
            pthread_mutex_unlock(&lock);
        } else {
            mark_dirty(f);
            /* Collapse and insert shift everything after the offset; punch and zero change the range. */
            uint64_t end = (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE))
                               ? (uint64_t)st.st_size
                               : (uint64_t)offset + (uint64_t)length;
            preserve(f, (uint64_t)offset, end);
        }
    }
    int status = real_fallocate(fd, mode, offset, length);
    finish(f);
    return status;
}
int fallocate64(int fd, int mode, off64_t offset, off64_t length) {
    return fallocate(fd, mode, (off_t)offset, (off_t)length);
}

int posix_fallocate(int fd, off_t offset, off_t length) {
    resolve();
    struct tracked *f = NULL;
    if (maybe_tracked(fd)) {
        pthread_mutex_lock(&lock);
        struct stat st;
        f = tracked(fd, &st);
        if (f == NULL) pthread_mutex_unlock(&lock);
        else mark_dirty(f); /* may grow the file; the data it holds stays */
    }
    int status = real_posix_fallocate(fd, offset, length);
    finish(f);
    return status;
}
int posix_fallocate64(int fd, off64_t offset, off64_t length) {
    return posix_fallocate(fd, (off_t)offset, (off_t)length);
}

/* Runs a sync of `fd` under the lock and, if it succeeds, empties the journal of its file (found by
 * inode, so a sync through any descriptor counts). */
static int synced(int fd, int status_of_real(int, int64_t, int64_t, unsigned), int64_t a, int64_t b,
                  unsigned flags, int clears, const char *how) {
    if (!active) return status_of_real(fd, a, b, flags);
    pthread_mutex_lock(&lock);
    struct stat st;
    struct tracked *f = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? find(st.st_dev, st.st_ino) : NULL;
    int status = status_of_real(fd, a, b, flags);
    int saved = errno;
    if (status == 0 && f != NULL && clears) clean(f, how);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}

static int call_fsync(int fd, int64_t a, int64_t b, unsigned flags) {
    (void)a, (void)b, (void)flags;
    return real_fsync(fd);
}
static int call_fdatasync(int fd, int64_t a, int64_t b, unsigned flags) {
    (void)a, (void)b, (void)flags;
    return real_fdatasync(fd);
}
static int call_sync_file_range(int fd, int64_t a, int64_t b, unsigned flags) {
    return real_sync_file_range(fd, a, b, flags);
}

int fsync(int fd) {
    resolve();
    return synced(fd, call_fsync, 0, 0, 0, 1, "fsync");
}
int fdatasync(int fd) {
    resolve();
    return synced(fd, call_fdatasync, 0, 0, 0, 1, "fdatasync");
}
int sync_file_range(int fd, off64_t offset, off64_t length, unsigned int flags) {
    resolve();
    return synced(fd, call_sync_file_range, offset, length, flags, (flags & SYNC_FILE_RANGE_WAIT_AFTER) != 0,
                  "sync_file_range");
}

static void clean_all(int only_device, dev_t device, const char *how) {
    for (int i = 0; i < MAX_FILES; i++)
        if (files[i].used && (!only_device || files[i].dev == device)) clean(&files[i], how);
}

int syncfs(int fd) {
    resolve();
    if (!active) return real_syncfs(fd);
    pthread_mutex_lock(&lock);
    struct stat st;
    int known = fstat(fd, &st) == 0;
    int status = real_syncfs(fd);
    int saved = errno;
    if (status == 0 && known) clean_all(1, st.st_dev, "syncfs");
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}

void sync(void) {
    resolve();
    if (!active) {
        real_sync();
        return;
    }
    pthread_mutex_lock(&lock);
    real_sync();
    clean_all(0, 0, "sync");
    pthread_mutex_unlock(&lock);
}

int close(int fd) {
    resolve();
    if (!maybe_tracked(fd)) return real_close(fd);
    pthread_mutex_lock(&lock);
    __atomic_store_n(&fd_file[fd], 0, __ATOMIC_RELAXED);
    int status = real_close(fd);
    int saved = errno;
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}

/* A new descriptor `copy` for what `fd` refers to. Call with the lock held. */
static void duplicated(int fd, int copy) {
    if (copy < 0 || copy >= MAX_FDS) return;
    int index = fd >= 0 && fd < MAX_FDS ? __atomic_load_n(&fd_file[fd], __ATOMIC_RELAXED) : 0;
    __atomic_store_n(&fd_file[copy], index, __ATOMIC_RELAXED);
}

int dup(int fd) {
    resolve();
    if (!active) return real_dup(fd);
    pthread_mutex_lock(&lock);
    int copy = real_dup(fd);
    int saved = errno;
    duplicated(fd, copy);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return copy;
}

int dup3(int fd, int target, int flags) {
    resolve();
    if (!active) return real_dup3(fd, target, flags);
    pthread_mutex_lock(&lock);
    int copy = real_dup3(fd, target, flags);
    int saved = errno;
    duplicated(fd, copy);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return copy;
}

int dup2(int fd, int target) {
    resolve();
    if (fd == target) return real_fcntl(fd, F_GETFD) < 0 ? -1 : target;
    return dup3(fd, target, 0);
}

int fcntl(int fd, int command, ...) {
    resolve();
    va_list arguments;
    va_start(arguments, command);
    void *argument = va_arg(arguments, void *);
    va_end(arguments);
    if (!active || (command != F_DUPFD && command != F_DUPFD_CLOEXEC)) return real_fcntl(fd, command, argument);
    pthread_mutex_lock(&lock);
    int copy = real_fcntl(fd, command, argument);
    int saved = errno;
    duplicated(fd, copy);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return copy;
}
int fcntl64(int fd, int command, ...) {
    va_list arguments;
    va_start(arguments, command);
    void *argument = va_arg(arguments, void *);
    va_end(arguments);
    return fcntl(fd, command, argument);
}

/* The path of a tracked file changed: refresh it (from its reader) and the journal header. */
static void moved(struct tracked *f) {
    char path[PATH_MAX];
    if (fd_path(f->reader, path) != 0) return;
    memcpy(f->path, path, strlen(path) + 1);
    if (f->dirty) write_header(f);
    log_line("rename to %s", f->path);
}

int renameat2(int olddir, const char *old, int newdir, const char *new, unsigned int flags) {
    resolve();
    int (*call)(int, const char *, int, const char *, unsigned int) = real_renameat2;
    if (!active) return flags == 0 ? real_renameat(olddir, old, newdir, new) : call(olddir, old, newdir, new, flags);
    pthread_mutex_lock(&lock);
    struct stat source, target;
    int have_source = fstatat(olddir, old, &source, AT_SYMLINK_NOFOLLOW) == 0;
    int have_target = fstatat(newdir, new, &target, AT_SYMLINK_NOFOLLOW) == 0;
    int status = flags == 0 ? real_renameat(olddir, old, newdir, new) : call(olddir, old, newdir, new, flags);
    int saved = errno;
    if (status == 0) {
        struct tracked *from = have_source ? find(source.st_dev, source.st_ino) : NULL;
        struct tracked *to = have_target ? find(target.st_dev, target.st_ino) : NULL;
        if (to != NULL && to != from && !(flags & RENAME_EXCHANGE)) drop(to, "renamed over");
        else if (to != NULL && to != from) moved(to);
        if (from != NULL) moved(from);
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}
int renameat(int olddir, const char *old, int newdir, const char *new) { return renameat2(olddir, old, newdir, new, 0); }
int rename(const char *old, const char *new) { return renameat2(AT_FDCWD, old, AT_FDCWD, new, 0); }

int unlinkat(int dirfd, const char *path, int flags) {
    resolve();
    if (!active || (flags & AT_REMOVEDIR)) return real_unlinkat(dirfd, path, flags);
    pthread_mutex_lock(&lock);
    struct stat st;
    int known = fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int status = real_unlinkat(dirfd, path, flags);
    int saved = errno;
    if (status == 0 && known && st.st_nlink <= 1) {
        struct tracked *f = find(st.st_dev, st.st_ino);
        if (f != NULL) drop(f, "unlinked");
    }
    pthread_mutex_unlock(&lock);
    errno = saved;
    return status;
}
int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

/* SIGUSR2: the power goes. Only a raw syscall here; the journals are replayed once the process is dead. */
static void cut(int signal_number) {
    (void)signal_number;
    if (log_fd >= 0) syscall(SYS_write, log_fd, "cut\n", 4);
    syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
}

static void refuse_unreplayed(void) {
    DIR *listing = opendir(journal_directory);
    if (listing == NULL) return;
    struct dirent *entry;
    size_t suffix = strlen(UNDO_SUFFIX);
    while ((entry = readdir(listing)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (length <= suffix || strcmp(entry->d_name + length - suffix, UNDO_SUFFIX) != 0) continue;
        struct stat st;
        if (fstatat(dirfd(listing), entry->d_name, &st, 0) == 0 && st.st_size > 0)
            die("%s/%s: an unreplayed undo journal; run powercut-replay %s first", journal_directory,
                entry->d_name, journal_directory);
    }
    closedir(listing);
}

__attribute__((constructor)) static void start(void) {
    resolve();
    const char *directory = getenv("POWERCUT_DIR");
    if (directory == NULL || *directory == '\0') return;
    if (realpath(directory, root) == NULL) die("POWERCUT_DIR %s: %s", directory, strerror(errno));
    root_length = strlen(root);
    const char *journal = getenv("POWERCUT_JOURNAL");
    char wanted[PATH_MAX];
    snprintf(wanted, sizeof wanted, "%s%s", journal != NULL && *journal ? journal : root,
             journal != NULL && *journal ? "" : ".undo");
    if (mkdir(wanted, 0700) != 0 && errno != EEXIST) die("mkdir %s: %s", wanted, strerror(errno));
    if (realpath(wanted, journal_directory) == NULL) die("POWERCUT_JOURNAL %s: %s", wanted, strerror(errno));
    journal_directory_length = strlen(journal_directory);
    const char *log_path = getenv("POWERCUT_LOG");
    if (log_path != NULL && *log_path)
        log_fd = real_openat(AT_FDCWD, log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    refuse_unreplayed();
    scratch = malloc(SCRATCH_BYTES);
    if (scratch == NULL) die("out of memory");
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cut;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR2, &action, NULL) != 0) die("sigaction: %s", strerror(errno));
    /* A process spawned from a thread that blocks signals (Swift's do) inherits that mask. */
    sigset_t cut_signal;
    sigemptyset(&cut_signal);
    sigaddset(&cut_signal, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &cut_signal, NULL);
    log_line("start pid=%d dir=%s journal=%s", (int)getpid(), root, journal_directory);
    active = 1;
}
