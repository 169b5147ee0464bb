/* powercut-replay JOURNAL_DIR: the second half of a power cut (see powercut.c). Run it once the process
 * that wrote the journals is dead: every affected file goes back to what it held at its last sync.
 * Prints one line of figures; exits 0, or 1 with a message on stderr. */
#include "undo.h"

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s JOURNAL_DIR\n", argv[0]);
        return 2;
    }
    struct undo_stats stats;
    char error[PATH_MAX + 128];
    if (undo_replay_directory(argv[1], &stats, error, sizeof error) != 0) {
        fprintf(stderr, "powercut-replay: %s\n", error);
        return 1;
    }
    printf("replayed %u journals (%u files gone), restored %llu bytes, dropped %llu bytes\n", stats.journals,
           stats.missing, (unsigned long long)stats.restored_bytes, (unsigned long long)stats.dropped_bytes);
    return 0;
}
