/* powercut_selftest LIBRARY: proves libpowercut.so drops exactly the unsynced bytes.
 *
 * The parent starts itself again as a child under LD_PRELOAD=LIBRARY. The child writes files below
 * POWERCUT_DIR: synced and not, overwritten after a sync, appended with O_APPEND, truncated, reopened
 * with O_TRUNC, renamed, unlinked, written by threads, through dup'd and second descriptors; it checks
 * that its own reads see unsynced writes (as the page cache shows them), then says "ready". The parent
 * cuts the power (SIGUSR2), checks the child died of SIGKILL, that a restart over the unreplayed
 * journal is refused, replays the journals, and checks every file holds exactly its synced bytes
 * (and that files outside POWERCUT_DIR, and "-shm" files, kept everything).
 *
 * Prints "ok N - what" or "not ok N - what: why" per check; exits 0 only if every check passed. */
#define _GNU_SOURCE
#include "undo.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define BLOCK 512
#define BLOCKS 64
#define BIG (3 << 20)

static char work[PATH_MAX / 2]; /* short enough that every path built from it fits PATH_MAX */
static int report_fd = -1;

/* ---- the child: runs under the interposer ---- */

__attribute__((format(printf, 1, 2))) static void fail_child(const char *format, ...) {
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(line, sizeof line - 1, format, arguments);
    va_end(arguments);
    dprintf(report_fd, "child failed: %.*s (errno %d)\n", n, line, errno);
    _exit(1);
}

static const char *in(const char *name) {
    static char paths[64][PATH_MAX];
    static int next;
    char *path = paths[next++ % 64];
    snprintf(path, PATH_MAX, "%s/data/%s", work, name);
    return path;
}

static int create(const char *name, int extra) {
    int fd = open(in(name), O_RDWR | O_CREAT | extra, 0644);
    if (fd < 0) fail_child("open %s", name);
    return fd;
}

static void put(int fd, char c, size_t n) {
    char buffer[8192];
    while (n > 0) {
        size_t chunk = n < sizeof buffer ? n : sizeof buffer;
        memset(buffer, c, chunk);
        if (write(fd, buffer, chunk) != (ssize_t)chunk) fail_child("write %c", c);
        n -= chunk;
    }
}

static void put_at(int fd, char c, size_t n, off_t at) {
    char buffer[8192];
    if (n > sizeof buffer) fail_child("put_at too long");
    memset(buffer, c, n);
    if (pwrite(fd, buffer, n, at) != (ssize_t)n) fail_child("pwrite %c", c);
}

static void must_sync(int status, const char *what) {
    if (status != 0) fail_child("%s", what);
}

static char block_byte(int thread, int block, int generation) { return (char)('A' + (thread * 7 + block + generation) % 26); }

static int synced_blocks(int thread) { return 20 + thread * 5; }

static void *thread_main(void *argument) {
    int thread = (int)(long)argument;
    char name[32];
    snprintf(name, sizeof name, "t%d", thread);
    int fd = create(name, 0);
    char buffer[BLOCK];
    for (int block = 0; block < BLOCKS; block++) {
        memset(buffer, block_byte(thread, block, 0), BLOCK);
        if (pwrite(fd, buffer, BLOCK, (off_t)block * BLOCK) != BLOCK) fail_child("thread pwrite");
        if (block + 1 == synced_blocks(thread)) must_sync(fsync(fd), "thread fsync");
        if (block % 8 == 0) sched_yield();
    }
    for (int block = 0; block < BLOCKS; block += 3) { /* overwrite synced and unsynced blocks */
        memset(buffer, block_byte(thread, block, 1), BLOCK);
        if (pwrite(fd, buffer, BLOCK, (off_t)block * BLOCK) != BLOCK) fail_child("thread overwrite");
    }
    close(fd);
    return NULL;
}

static void child(void) {
    /* Whole-file syncs first: sync() and syncfs() make every file written so far durable. */
    int w = create("w-sync", 0);
    put(w, 'w', 33);
    sync();
    int l = create("l-syncfs", 0);
    put(l, 'l', 77);
    must_sync(syncfs(l), "syncfs");
    put(w, 'W', 10);
    put(l, 'L', 10);

    int a = create("a-synced-then-appended", 0);
    put(a, 'A', 4096);
    must_sync(fsync(a), "fsync a");
    put(a, 'B', 1000);

    int b = create("b-overwrite-synced", 0);
    put(b, 'b', 100);
    must_sync(fsync(b), "fsync b");
    put_at(b, 'X', 10, 10);
    char seen[16];
    if (pread(b, seen, 10, 10) != 10 || memcmp(seen, "XXXXXXXXXX", 10) != 0) fail_child("b: unsynced overwrite not read back");

    int c = create("c-never-synced", 0);
    put(c, 'c', 5000);

    int d = open(in("d-append"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (d < 0) fail_child("open d");
    put(d, 'o', 3);
    must_sync(fdatasync(d), "fdatasync d");
    put(d, 't', 3);
    put_at(d, 'Z', 2, 0); /* Linux: pwrite on an O_APPEND descriptor appends */

    int e = create("e-ftruncate", 0);
    put(e, 'e', 8192);
    must_sync(fsync(e), "fsync e");
    if (ftruncate(e, 100) != 0) fail_child("ftruncate e");
    put_at(e, 'E', 10, 50);
    if (ftruncate(e, 20000) != 0) fail_child("ftruncate e up");

    int f = create("f-past-eof", 0);
    put(f, 'f', 10);
    must_sync(fsync(f), "fsync f");
    if (pwrite(f, "tail", 4, 1000) != 4) fail_child("pwrite f");
    char tail[4];
    struct stat st;
    if (pread(f, tail, 4, 1000) != 4 || memcmp(tail, "tail", 4) != 0) fail_child("f: write past EOF not read back");
    if (fstat(f, &st) != 0 || st.st_size != 1004) fail_child("f: size %lld before sync", (long long)st.st_size);
    char hole[990];
    if (pread(f, hole, sizeof hole, 10) != (ssize_t)sizeof hole) fail_child("f: hole");
    for (size_t i = 0; i < sizeof hole; i++)
        if (hole[i] != 0) fail_child("f: hole not zero");

    int g = create("g-o-trunc", 0);
    put(g, 'g', 300);
    must_sync(fsync(g), "fsync g");
    close(g);
    g = open(in("g-o-trunc"), O_WRONLY | O_TRUNC);
    if (g < 0) fail_child("reopen g");
    if (fstat(g, &st) != 0 || st.st_size != 0) fail_child("g: O_TRUNC left %lld bytes", (long long)st.st_size);
    put(g, 'G', 3);
    close(g);

    int h = create("h-creat", 0);
    put(h, 'h', 300);
    must_sync(fsync(h), "fsync h");
    close(h);
    h = creat(in("h-creat"), 0644);
    if (h < 0) fail_child("creat h");
    put(h, 'H', 3);

    int s2 = create("s2-synced-twice", 0);
    put(s2, '1', 64);
    must_sync(fsync(s2), "fsync s2");
    put_at(s2, '2', 64, 0);
    must_sync(fsync(s2), "fsync s2 again");
    put_at(s2, '3', 64, 0);
    put_at(s2, '4', 32, 64);

    int i = create("i-writev", 0);
    char i1[100], i2[100], k1[20], k2[20], m1[50];
    memset(i1, 'i', sizeof i1), memset(i2, 'j', sizeof i2), memset(k1, 'k', sizeof k1), memset(k2, 'l', sizeof k2);
    memset(m1, 'm', sizeof m1);
    struct iovec first[2] = {{i1, sizeof i1}, {i2, sizeof i2}};
    if (writev(i, first, 2) != 200) fail_child("writev i");
    must_sync(fsync(i), "fsync i");
    struct iovec second[2] = {{k1, sizeof k1}, {k2, sizeof k2}};
    if (pwritev(i, second, 2, 50) != 40) fail_child("pwritev i");
    struct iovec third[1] = {{m1, sizeof m1}};
    if (writev(i, third, 1) != 50) fail_child("writev i again");

    int j = create("j-closed-dirty", 0);
    put(j, 'J', 100);
    must_sync(fsync(j), "fsync j");
    put(j, 'K', 100);
    close(j);

    int k = create("k-sync-file-range", 0);
    put(k, 'k', 200);
    must_sync(sync_file_range(k, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER),
              "sync_file_range k");
    put(k, 'K', 50);
    int k_nowait = create("k2-sync-file-range-no-wait", 0);
    put(k_nowait, 'q', 200);
    must_sync(sync_file_range(k_nowait, 0, 0, SYNC_FILE_RANGE_WRITE), "sync_file_range k2");

    int m = create("m-rename.tmp", 0);
    put(m, 'm', 123);
    must_sync(fsync(m), "fsync m");
    put(m, 'M', 10);
    if (rename(in("m-rename.tmp"), in("m-rename")) != 0) fail_child("rename m");
    put(m, 'N', 10);

    int old = create("m2-renamed-over", 0);
    put(old, 'o', 50);
    must_sync(fsync(old), "fsync m2");
    put(old, 'O', 50);
    close(old);
    int m2 = create("m2-renamed-over.tmp", 0);
    put(m2, 'p', 60);
    must_sync(fsync(m2), "fsync m2.tmp");
    if (rename(in("m2-renamed-over.tmp"), in("m2-renamed-over")) != 0) fail_child("rename m2");

    int n = create("n-unlinked", 0);
    put(n, 'n', 100);
    if (unlink(in("n-unlinked")) != 0) fail_child("unlink n");

    char outside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/outside/o-outside", work);
    int o = open(outside, O_RDWR | O_CREAT, 0644);
    if (o < 0) fail_child("open outside");
    put(o, 'o', 300);

    int p = create("p.db-shm", 0);
    put(p, 's', 300);

    int q = create("q-truncate-path", 0);
    put(q, 'q', 500);
    must_sync(fsync(q), "fsync q");
    if (truncate(in("q-truncate-path"), 10) != 0) fail_child("truncate q");

    int r1 = create("r-two-descriptors", 0);
    int r2 = open(in("r-two-descriptors"), O_RDWR);
    if (r2 < 0) fail_child("open r2");
    put(r1, 'r', 100);
    must_sync(fsync(r2), "fsync r2");
    put_at(r2, 'R', 10, 0);

    int s = create("s-dup", 0);
    int s_copy = dup(s);
    int s_third = fcntl(s, F_DUPFD_CLOEXEC, 100);
    if (s_copy < 0 || s_third < 0) fail_child("dup s");
    put(s, 's', 100);
    must_sync(fsync(s), "fsync s");
    put(s_copy, 'S', 50);
    put_at(s_third, 'T', 20, 0);

    int u = create("u-punch-hole", 0);
    put(u, 'u', 8192);
    must_sync(fsync(u), "fsync u");
    if (fallocate(u, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) != 0) fail_child("fallocate u");
    if (pread(u, seen, 1, 0) != 1 || seen[0] != 0) fail_child("u: punched hole not read back as zero");

    int v = create("v-big", 0);
    put(v, 'v', BIG);
    must_sync(fsync(v), "fsync v");
    if (lseek(v, 0, SEEK_SET) != 0) fail_child("lseek v");
    put(v, 'V', BIG + 4096);

    pthread_t threads[THREADS];
    for (long t = 0; t < THREADS; t++)
        if (pthread_create(&threads[t], NULL, thread_main, (void *)t) != 0) fail_child("pthread_create");
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);

    dprintf(report_fd, "ready\n");
    for (;;) pause(); /* until the power goes */
}

/* ---- the parent: cuts, replays, judges ---- */

static int checks, failures;

__attribute__((format(printf, 2, 3))) static void check(int passed, const char *format, ...) {
    char line[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    checks += 1;
    if (!passed) failures += 1;
    printf("%sok %d - %s\n", passed ? "" : "not ", checks, line);
}

struct expected {
    char bytes[BIG + 8192];
    size_t length;
};
static struct expected want;

static void expect_reset(void) { want.length = 0; }
static void expect_run(char c, size_t n) {
    memset(want.bytes + want.length, c, n);
    want.length += n;
}

/* Checks that `name` (below data/, or a path from the work dir) holds exactly `want`. */
static void expect_file(const char *relative, const char *what) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", work, relative);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        check(0, "%s: %s is missing", what, relative);
        return;
    }
    static char got[BIG + 16384];
    ssize_t n = read(fd, got, sizeof got);
    close(fd);
    if (n != (ssize_t)want.length) {
        check(0, "%s: %s holds %zd bytes, want %zu", what, relative, n, want.length);
        return;
    }
    size_t at = 0;
    while (at < want.length && got[at] == want.bytes[at]) at++;
    if (at < want.length) check(0, "%s: %s differs at byte %zu (0x%02x, want 0x%02x)", what, relative, at,
                                (unsigned char)got[at], (unsigned char)want.bytes[at]);
    else check(1, "%s", what);
}

static void expect_absent(const char *relative, const char *what) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", work, relative);
    check(access(path, F_OK) != 0 && errno == ENOENT, "%s", what);
}

static pid_t spawn(const char *self, const char *library, const char *role, int report) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    char data[PATH_MAX], journal[PATH_MAX], log[PATH_MAX], fd_text[16];
    snprintf(data, sizeof data, "%s/data", work);
    snprintf(journal, sizeof journal, "%s/undo", work);
    snprintf(log, sizeof log, "%s/powercut.log", work);
    snprintf(fd_text, sizeof fd_text, "%d", report);
    setenv("LD_PRELOAD", library, 1);
    setenv("POWERCUT_DIR", data, 1);
    setenv("POWERCUT_JOURNAL", journal, 1);
    setenv("POWERCUT_LOG", log, 1);
    execl(self, self, role, work, fd_text, (char *)NULL);
    _exit(127);
}

static void judge(void) {
    expect_reset(), expect_run('w', 33);
    expect_file("data/w-sync", "sync() makes a file durable; a later write is dropped");
    expect_reset(), expect_run('l', 77);
    expect_file("data/l-syncfs", "syncfs() makes a file durable; a later write is dropped");
    expect_reset(), expect_run('A', 4096);
    expect_file("data/a-synced-then-appended", "bytes written after fsync are dropped");
    expect_reset(), expect_run('b', 100);
    expect_file("data/b-overwrite-synced", "an unsynced overwrite of synced bytes is undone");
    expect_reset();
    expect_file("data/c-never-synced", "a file never synced is left empty");
    expect_reset(), expect_run('o', 3);
    expect_file("data/d-append", "O_APPEND writes after fdatasync are dropped (pwrite appends too)");
    expect_reset(), expect_run('e', 8192);
    expect_file("data/e-ftruncate", "an unsynced ftruncate (down, a write, then up) is undone");
    expect_reset(), expect_run('f', 10);
    expect_file("data/f-past-eof", "a pwrite past EOF, read back before sync, is dropped");
    expect_reset(), expect_run('g', 300);
    expect_file("data/g-o-trunc", "an unsynced open(O_TRUNC) and rewrite are undone");
    expect_reset(), expect_run('h', 300);
    expect_file("data/h-creat", "an unsynced creat() over a synced file is undone");
    expect_reset(), expect_run('2', 64);
    expect_file("data/s2-synced-twice", "the second fsync's content survives, not the first's");
    expect_reset(), expect_run('i', 100), expect_run('j', 100);
    expect_file("data/i-writev", "unsynced pwritev and writev are undone; synced writev kept");
    expect_reset(), expect_run('J', 100);
    expect_file("data/j-closed-dirty", "writes closed without a sync are dropped");
    expect_reset(), expect_run('k', 200);
    expect_file("data/k-sync-file-range", "sync_file_range with WAIT_AFTER syncs");
    expect_reset();
    expect_file("data/k2-sync-file-range-no-wait", "sync_file_range without WAIT_AFTER does not");
    expect_reset(), expect_run('m', 123);
    expect_file("data/m-rename", "a renamed file keeps its synced bytes under its new name");
    expect_absent("data/m-rename.tmp", "the old name of a renamed file is gone");
    expect_reset(), expect_run('p', 60);
    expect_file("data/m2-renamed-over", "a file renamed over another holds the new file's synced bytes");
    expect_absent("data/n-unlinked", "an unlinked file stays unlinked");
    expect_reset(), expect_run('o', 300);
    expect_file("outside/o-outside", "a file outside POWERCUT_DIR keeps unsynced bytes");
    expect_reset(), expect_run('s', 300);
    expect_file("data/p.db-shm", "a -shm file keeps unsynced bytes");
    expect_reset(), expect_run('q', 500);
    expect_file("data/q-truncate-path", "an unsynced truncate(path) is undone");
    expect_reset(), expect_run('r', 100);
    expect_file("data/r-two-descriptors", "an fsync through a second descriptor syncs the file");
    expect_reset(), expect_run('s', 100);
    expect_file("data/s-dup", "writes through dup'd descriptors are dropped");
    expect_reset(), expect_run('u', 8192);
    expect_file("data/u-punch-hole", "an unsynced punched hole is filled back");
    expect_reset(), expect_run('v', BIG);
    expect_file("data/v-big", "a 3 MiB overwrite (pre-images over several chunks) is undone");
    for (int t = 0; t < THREADS; t++) {
        expect_reset();
        for (int block = 0; block < synced_blocks(t); block++) expect_run(block_byte(t, block, 0), BLOCK);
        char name[32], what[96];
        snprintf(name, sizeof name, "data/t%d", t);
        snprintf(what, sizeof what, "thread %d: the %d blocks synced before its fsync survive", t, synced_blocks(t));
        expect_file(name, what);
    }
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "child") == 0) {
        snprintf(work, sizeof work, "%s", argv[2]);
        report_fd = atoi(argv[3]);
        child();
    }
    if (argc == 4 && strcmp(argv[1], "noop") == 0) return 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s /abs/path/libpowercut.so\n", argv[0]);
        return 2;
    }
    char self[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0) return 2;
    self[length] = '\0';
    const char *temporary = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(work, sizeof work, "%s/powercut-selftest-XXXXXX", temporary);
    if (mkdtemp(work) == NULL) return 2;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/data", work);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/outside", work);
    mkdir(path, 0755);

    int report[2];
    if (pipe(report) != 0) return 2;
    pid_t pid = spawn(self, argv[1], "child", report[1]);
    close(report[1]);
    FILE *from_child = fdopen(report[0], "r");
    char line[1200];
    int ready = 0;
    while (!ready && fgets(line, sizeof line, from_child) != NULL) {
        if (strcmp(line, "ready\n") == 0) ready = 1;
        else printf("# %s", line);
    }
    check(ready, "the child ran every step under the interposer");
    kill(pid, SIGUSR2);
    int status = 0, waited = 0;
    while (waitpid(pid, &status, WNOHANG) == 0 && waited < 1000) usleep(10000), waited++;
    if (waited == 1000) { /* the signal never came through (blocked?): end it, and fail */
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        status = 0;
    }
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "SIGUSR2 kills the process with SIGKILL within 10 s (status %#x)", status);

    pid_t again = spawn(self, argv[1], "noop", 1);
    waitpid(again, &status, 0);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 86, "a start over an unreplayed journal is refused (status %#x)",
          status);

    snprintf(path, sizeof path, "%s/undo", work);
    struct undo_stats stats;
    char error[PATH_MAX + 128];
    int replayed = undo_replay_directory(path, &stats, error, sizeof error);
    check(replayed == 0, "the journals replay (%s)", replayed == 0 ? "no error" : error);
    printf("# replayed %u journals (%u files gone), restored %llu bytes, dropped %llu bytes\n", stats.journals,
           stats.missing, (unsigned long long)stats.restored_bytes, (unsigned long long)stats.dropped_bytes);
    if (ready) judge();

    struct undo_stats after;
    undo_replay_directory(path, &after, error, sizeof error);
    check(after.journals == 0 && after.missing == 0, "replay leaves no journal behind");

    printf("powercut selftest: %d checks, %d failed (work dir %s)\n", checks, failures, work);
    if (failures == 0 && getenv("POWERCUT_KEEP") == NULL) {
        char command[PATH_MAX + 16];
        snprintf(command, sizeof command, "rm -rf '%s'", work);
        if (system(command) != 0) return 1;
    }
    return failures == 0 ? 0 : 1;
}
