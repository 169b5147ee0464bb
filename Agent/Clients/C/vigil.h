/* libvigil: send events from a C (or C-compatible) application to the local Vigil agent.
 *
 * The agent listens on a Unix socket (default /run/vigil/agent.sock). Events are queued in memory and
 * written by a background thread as length-prefixed protobuf Records (DESIGN §3); the agent answers with
 * cumulative IngestAcks after each commit to its disk buffer.
 *
 * Invariants:
 * - vigil_send never waits for the agent: it copies the encoded event into a bounded queue and returns.
 *   A full queue drops the event and counts it (vigil_stats.dropped).
 * - Durable means acknowledged by the agent after its commit. Events unanswered when a connection ends are
 *   written again, in order, on the next one; the event id and time are fixed at send, so the hub stores
 *   each event once.
 * - An event the agent refuses is counted with the agent's reason and not sent again.
 * - No SIGPIPE, no allocation per event (the queue is allocated once by vigil_open), every function is safe
 *   to call from several threads.
 */
#ifndef VIGIL_H
#define VIGIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vigil_client vigil_client;

typedef enum vigil_outcome {
    VIGIL_OUTCOME_UNSPECIFIED = 0,
    VIGIL_OUTCOME_OK = 1,
    VIGIL_OUTCOME_ERROR = 2,
} vigil_outcome;

/* What vigil_send returns. */
enum {
    VIGIL_OK = 0,       /* queued */
    VIGIL_DROPPED = 1,  /* the queue is full: dropped and counted */
    VIGIL_EINVAL = 2,   /* no name, or the encoded event is larger than the queue allows */
    VIGIL_CLOSED = 3,   /* the client is closing */
};

typedef struct vigil_options {
    const char *service;      /* default service of events without one (NULL: the agent's label) */
    const char *version;      /* default version of events without one (NULL: the agent's label) */
    size_t queue_bytes;       /* memory for queued and unanswered events; default 4 MiB */
    int max_backoff_ms;       /* longest wait between two connection attempts; default 1000 */
} vigil_options;

typedef struct vigil_attribute {
    const char *key;
    const char *value;
} vigil_attribute;

typedef struct vigil_event {
    const char *service;             /* NULL: the client's default */
    const char *version;             /* NULL: the client's default */
    const char *name;                /* required, e.g. "request" */
    vigil_outcome outcome;
    double duration_ms;
    const char *error_category;      /* NULL: none */
    const vigil_attribute *attributes;
    size_t n_attributes;             /* at most 64 */
    int has_event_id;                /* 0: 16 random bytes are chosen at send */
    uint8_t event_id[16];
    int64_t time_unix_nano;          /* 0: the time of vigil_send */
} vigil_event;

typedef struct vigil_stats {
    uint64_t queued;      /* accepted by vigil_send */
    uint64_t durable;     /* acknowledged as stored by the agent */
    uint64_t rejected;    /* refused by the agent (see last_rejection) */
    uint64_t dropped;     /* not queued: the queue was full */
    uint64_t reconnects;  /* connections made after the first */
    char last_rejection[256];
} vigil_stats;

void vigil_options_init(vigil_options *options);
void vigil_event_init(vigil_event *event, const char *name);

/* A client of the agent at socket_path; NULL with errno set (EINVAL, ENOMEM, or from pthread_create). */
vigil_client *vigil_open(const char *socket_path, const vigil_options *options);
int vigil_send(vigil_client *client, const vigil_event *event);
/* Waits until every event queued before the call is answered, at most timeout_ms; returns how many are
 * not (0: all durable or refused). */
long vigil_flush(vigil_client *client, int timeout_ms);
void vigil_get_stats(vigil_client *client, vigil_stats *stats);
/* Flushes for at most timeout_ms, stops the background thread and frees the client; returns what
 * vigil_flush returned. */
long vigil_close(vigil_client *client, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
