/* Plays back libpowercut's undo journals (format in undo.h): the power cut's second half. */
#define _GNU_SOURCE
#include "undo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *error, size_t size, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
    return -1;
}

static int read_fully(int fd, void *buffer, size_t length, off_t offset) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = pread(fd, (char *)buffer + done, length - done, offset + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static int write_fully(int fd, const void *buffer, size_t length, off_t offset) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = pwrite(fd, (const char *)buffer + done, length - done, offset + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static int replay_one(const char *journal_path, struct undo_stats *stats, char *error, size_t size) {
    int journal = open(journal_path, O_RDONLY | O_CLOEXEC);
    if (journal < 0) return fail(error, size, "open %s: %s", journal_path, strerror(errno));
    struct stat journal_stat;
    struct undo_header header;
    if (fstat(journal, &journal_stat) != 0 || journal_stat.st_size < (off_t)sizeof header ||
        read_fully(journal, &header, sizeof header, 0) != 0) {
        /* An empty or headerless journal guards nothing: the file was synced (or never changed). */
        close(journal);
        unlink(journal_path);
        return 0;
    }
    if (memcmp(header.magic, UNDO_MAGIC, sizeof UNDO_MAGIC) != 0 || header.path_length >= sizeof header.path) {
        close(journal);
        return fail(error, size, "%s: not an undo journal", journal_path);
    }
    header.path[header.path_length] = '\0';
    int file = open(header.path, O_RDWR | O_CLOEXEC);
    if (file < 0) {
        close(journal);
        if (errno != ENOENT) return fail(error, size, "open %s: %s", header.path, strerror(errno));
        stats->missing += 1;
        unlink(journal_path);
        return 0;
    }
    size_t capacity = 1 << 20;
    char *buffer = malloc(capacity);
    if (buffer == NULL) {
        close(journal);
        close(file);
        return fail(error, size, "out of memory");
    }
    off_t at = sizeof header;
    struct undo_record record;
    int status = 0;
    while (at + (off_t)sizeof record <= journal_stat.st_size) {
        if (read_fully(journal, &record, sizeof record, at) != 0) break;
        if ((off_t)record.length > journal_stat.st_size - at - (off_t)sizeof record) break; /* cut short */
        at += sizeof record;
        for (uint64_t done = 0; done < record.length;) {
            size_t chunk = record.length - done < capacity ? (size_t)(record.length - done) : capacity;
            if (read_fully(journal, buffer, chunk, at) != 0 ||
                write_fully(file, buffer, chunk, (off_t)(record.offset + done)) != 0) {
                status = fail(error, size, "restore %s: %s", header.path, strerror(errno));
                break;
            }
            done += chunk;
            at += (off_t)chunk;
        }
        if (status != 0) break;
        stats->restored_bytes += record.length;
    }
    free(buffer);
    struct stat file_stat;
    if (status == 0 && fstat(file, &file_stat) == 0 && (uint64_t)file_stat.st_size > header.synced_size)
        stats->dropped_bytes += (uint64_t)file_stat.st_size - header.synced_size;
    if (status == 0 && ftruncate(file, (off_t)header.synced_size) != 0)
        status = fail(error, size, "truncate %s: %s", header.path, strerror(errno));
    if (status == 0 && fsync(file) != 0) status = fail(error, size, "fsync %s: %s", header.path, strerror(errno));
    close(file);
    close(journal);
    if (status == 0) {
        stats->journals += 1;
        unlink(journal_path);
    }
    return status;
}

int undo_replay_directory(const char *directory, struct undo_stats *stats, char *error, size_t error_size) {
    memset(stats, 0, sizeof *stats);
    DIR *listing = opendir(directory);
    if (listing == NULL) {
        if (errno == ENOENT) return 0;
        return fail(error, error_size, "open %s: %s", directory, strerror(errno));
    }
    struct dirent *entry;
    int status = 0;
    size_t suffix = strlen(UNDO_SUFFIX);
    while (status == 0 && (entry = readdir(listing)) != NULL) {
        size_t length = strlen(entry->d_name);
        if (length <= suffix || strcmp(entry->d_name + length - suffix, UNDO_SUFFIX) != 0) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        status = replay_one(path, stats, error, error_size);
    }
    closedir(listing);
    return status;
}
