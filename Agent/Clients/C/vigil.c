/* libvigil: see vigil.h for the contract. One background thread per client owns the socket; the queue is a
 * byte ring holding the wire frames themselves (4-byte big-endian length + packed vigil.v1.Record), so
 * writing is copying ring bytes to the socket and a resend after a reconnect is writing them again.
 *
 * Ring offsets are 64-bit and only grow; a byte's place in the ring is its offset modulo the capacity.
 *   head     oldest frame the agent has not answered
 *   written  next byte to write on the current connection (head <= written <= tail)
 *   tail     end of the queued frames
 * An IngestAck (cumulative per connection) that answers k more frames moves head past k frames. When a
 * connection ends, written goes back to head: everything unanswered is written again on the next one. */
#define _GNU_SOURCE
#include "vigil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vigil.pb-c.h"

#define VIGIL_MAX_ATTRIBUTES 64
#define VIGIL_MAX_ACK_BYTES 4096

struct vigil_client {
    pthread_mutex_t lock;
    pthread_cond_t answered; /* broadcast when frames are answered, and when the thread stops */
    pthread_t thread;
    int wake_fd;             /* eventfd: senders and vigil_close wake the thread */
    struct sockaddr_un address;
    char *service;
    char *version;
    int max_backoff_ms;

    uint8_t *ring;
    uint64_t capacity;
    uint64_t head, written, tail;
    uint64_t frames_queued;   /* frames ever put in the ring */
    uint64_t frames_answered; /* frames ever answered (durable or refused) */
    int stopping;

    /* The current connection's cumulative counts, as its last IngestAck gave them. */
    uint64_t connection_durable, connection_rejected;
    vigil_stats stats;
};

void vigil_options_init(vigil_options *options) {
    memset(options, 0, sizeof *options);
    options->queue_bytes = 4u << 20;
    options->max_backoff_ms = 1000;
}

void vigil_event_init(vigil_event *event, const char *name) {
    memset(event, 0, sizeof *event);
    event->name = name;
}

static char *copy_text(const char *text) {
    return text ? strdup(text) : NULL;
}

static int64_t now_unix_nano(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void wake(vigil_client *client) {
    uint64_t one = 1;
    ssize_t ignored = write(client->wake_fd, &one, sizeof one);
    (void)ignored; /* a full eventfd counter already means "wake up" */
}

/* Copies bytes into the ring at offset `at`, wrapping around its end. */
static void ring_put(vigil_client *client, uint64_t at, const uint8_t *bytes, size_t count) {
    size_t start = (size_t)(at % client->capacity);
    size_t first = count < client->capacity - start ? count : (size_t)(client->capacity - start);
    memcpy(client->ring + start, bytes, first);
    memcpy(client->ring, bytes + first, count - first);
}

static uint32_t ring_length_at(vigil_client *client, uint64_t at) {
    uint32_t length = 0;
    for (int i = 0; i < 4; i++) length = (length << 8) | client->ring[(at + (uint64_t)i) % client->capacity];
    return length;
}

/* A ProtobufCBuffer that appends to the ring: protobuf-c packs straight into the queue. */
typedef struct {
    ProtobufCBuffer base;
    vigil_client *client;
    uint64_t at;
} ring_appender;

static void ring_append(ProtobufCBuffer *buffer, size_t count, const uint8_t *bytes) {
    ring_appender *appender = (ring_appender *)buffer;
    ring_put(appender->client, appender->at, bytes, count);
    appender->at += count;
}

int vigil_send(vigil_client *client, const vigil_event *event) {
    if (!client || !event || !event->name || !event->name[0]) return VIGIL_EINVAL;
    if (event->n_attributes > VIGIL_MAX_ATTRIBUTES || (event->n_attributes && !event->attributes)) return VIGIL_EINVAL;

    uint8_t id[16];
    if (event->has_event_id) {
        memcpy(id, event->event_id, sizeof id);
    } else if (getrandom(id, sizeof id, 0) != (ssize_t)sizeof id) {
        return VIGIL_EINVAL;
    }
    Vigil__V1__Event__AttributesEntry entries[VIGIL_MAX_ATTRIBUTES];
    Vigil__V1__Event__AttributesEntry *entry_pointers[VIGIL_MAX_ATTRIBUTES];
    for (size_t i = 0; i < event->n_attributes; i++) {
        Vigil__V1__Event__AttributesEntry entry = VIGIL__V1__EVENT__ATTRIBUTES_ENTRY__INIT;
        if (!event->attributes[i].key || !event->attributes[i].value) return VIGIL_EINVAL;
        entry.key = (char *)event->attributes[i].key;
        entry.value = (char *)event->attributes[i].value;
        entries[i] = entry;
        entry_pointers[i] = &entries[i];
    }
    Vigil__V1__Event body = VIGIL__V1__EVENT__INIT;
    body.event_id.data = id;
    body.event_id.len = sizeof id;
    body.time_unix_nano = event->time_unix_nano ? event->time_unix_nano : now_unix_nano();
    const char *service = event->service ? event->service : client->service;
    const char *version = event->version ? event->version : client->version;
    if (service) body.service = (char *)service;
    if (version) body.version = (char *)version;
    body.name = (char *)event->name;
    body.outcome = (Vigil__V1__Outcome)event->outcome;
    body.duration_ms = event->duration_ms;
    if (event->error_category) body.error_category = (char *)event->error_category;
    body.n_attributes = event->n_attributes;
    body.attributes = event->n_attributes ? entry_pointers : NULL;
    Vigil__V1__Record record = VIGIL__V1__RECORD__INIT;
    record.body_case = VIGIL__V1__RECORD__BODY_EVENT;
    record.event = &body;

    size_t size = protobuf_c_message_get_packed_size(&record.base);
    uint64_t need = 4 + (uint64_t)size;
    int result = VIGIL_OK;
    pthread_mutex_lock(&client->lock);
    if (client->stopping) {
        result = VIGIL_CLOSED;
    } else if (need > client->capacity / 4 || size > UINT32_MAX) {
        result = VIGIL_EINVAL; /* larger than a quarter of the queue: never fits beside others */
    } else if (client->tail - client->head + need > client->capacity) {
        client->stats.dropped++;
        result = VIGIL_DROPPED;
    } else {
        uint8_t prefix[4] = {(uint8_t)(size >> 24), (uint8_t)(size >> 16), (uint8_t)(size >> 8), (uint8_t)size};
        ring_put(client, client->tail, prefix, 4);
        ring_appender appender = {{ring_append}, client, client->tail + 4};
        protobuf_c_message_pack_to_buffer(&record.base, &appender.base);
        client->tail += need;
        client->frames_queued++;
        client->stats.queued++;
    }
    pthread_mutex_unlock(&client->lock);
    if (result == VIGIL_OK) wake(client);
    return result;
}

/* An IngestAck of the current connection: frees the frames it answers. Called with the lock held. */
static void answered(vigil_client *client, const Vigil__V1__IngestAck *ack) {
    if (ack->durable_count < client->connection_durable || ack->rejected_count < client->connection_rejected) return;
    uint64_t durable = ack->durable_count - client->connection_durable;
    uint64_t rejected = ack->rejected_count - client->connection_rejected;
    client->connection_durable = ack->durable_count;
    client->connection_rejected = ack->rejected_count;
    client->stats.durable += durable;
    client->stats.rejected += rejected;
    if (rejected && ack->last_rejection && ack->last_rejection[0]) {
        snprintf(client->stats.last_rejection, sizeof client->stats.last_rejection, "%s", ack->last_rejection);
    }
    for (uint64_t k = durable + rejected; k > 0 && client->head < client->written; k--) {
        client->head += 4 + (uint64_t)ring_length_at(client, client->head);
        client->frames_answered++;
    }
    pthread_cond_broadcast(&client->answered);
}

static int connect_agent(vigil_client *client) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&client->address, sizeof client->address) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Waits up to `ms` for a wakeup (so vigil_close does not wait out a backoff). */
static void pause_for(vigil_client *client, int ms) {
    struct pollfd wakeup = {client->wake_fd, POLLIN, 0};
    if (poll(&wakeup, 1, ms) > 0) {
        uint64_t count;
        ssize_t ignored = read(client->wake_fd, &count, sizeof count);
        (void)ignored;
    }
}

static void *run(void *argument) {
    vigil_client *client = argument;
    uint8_t incoming[4 + VIGIL_MAX_ACK_BYTES];
    size_t filled = 0;
    int fd = -1, backoff = 10, connections = 0;
    for (;;) {
        pthread_mutex_lock(&client->lock);
        int stopping = client->stopping;
        pthread_mutex_unlock(&client->lock);
        if (stopping) break;
        if (fd < 0) {
            fd = connect_agent(client);
            if (fd < 0) {
                pause_for(client, backoff);
                backoff = backoff * 2 > client->max_backoff_ms ? client->max_backoff_ms : backoff * 2;
                continue;
            }
            backoff = 10;
            filled = 0;
            pthread_mutex_lock(&client->lock);
            if (connections++ > 0) client->stats.reconnects++;
            client->written = client->head; /* unanswered frames go again, in order */
            client->connection_durable = client->connection_rejected = 0;
            pthread_mutex_unlock(&client->lock);
        }
        pthread_mutex_lock(&client->lock);
        uint64_t from = client->written, to = client->tail;
        pthread_mutex_unlock(&client->lock);
        struct pollfd fds[2] = {{fd, (short)(POLLIN | (from < to ? POLLOUT : 0)), 0}, {client->wake_fd, POLLIN, 0}};
        if (poll(fds, 2, 1000) < 0 && errno != EINTR) break;
        if (fds[1].revents & POLLIN) {
            uint64_t count;
            ssize_t ignored = read(client->wake_fd, &count, sizeof count);
            (void)ignored;
        }
        int broken = (fds[0].revents & (POLLERR | POLLNVAL)) != 0;
        if (!broken && (fds[0].revents & POLLOUT) && from < to) {
            /* [from, to) is only read here: senders write past tail, and head never passes written. */
            size_t start = (size_t)(from % client->capacity);
            size_t count = (size_t)(to - from);
            if (count > client->capacity - start) count = (size_t)(client->capacity - start);
            ssize_t sent = send(fd, client->ring + start, count, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (sent > 0) {
                pthread_mutex_lock(&client->lock);
                if (client->written == from) client->written += (uint64_t)sent;
                pthread_mutex_unlock(&client->lock);
            } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                broken = 1;
            }
        }
        if (!broken && (fds[0].revents & (POLLIN | POLLHUP))) {
            ssize_t got = recv(fd, incoming + filled, sizeof incoming - filled, MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                broken = 1;
            } else if (got > 0) {
                filled += (size_t)got;
                while (filled >= 4 && !broken) {
                    uint32_t length = (uint32_t)incoming[0] << 24 | (uint32_t)incoming[1] << 16 |
                                      (uint32_t)incoming[2] << 8 | incoming[3];
                    if (length == 0 || length > VIGIL_MAX_ACK_BYTES) {
                        broken = 1; /* not an IngestAck stream: start over on a new connection */
                        break;
                    }
                    if (filled < 4 + (size_t)length) break;
                    Vigil__V1__IngestAck *ack = vigil__v1__ingest_ack__unpack(NULL, length, incoming + 4);
                    if (!ack) {
                        broken = 1;
                        break;
                    }
                    pthread_mutex_lock(&client->lock);
                    answered(client, ack);
                    pthread_mutex_unlock(&client->lock);
                    vigil__v1__ingest_ack__free_unpacked(ack, NULL);
                    memmove(incoming, incoming + 4 + length, filled - 4 - length);
                    filled -= 4 + (size_t)length;
                }
            }
        }
        if (broken) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    return NULL;
}

/* Frees what vigil_open made; the thread is not running. */
static void release(vigil_client *client) {
    if (client->wake_fd >= 0) close(client->wake_fd);
    pthread_cond_destroy(&client->answered);
    pthread_mutex_destroy(&client->lock);
    free(client->ring);
    free(client->service);
    free(client->version);
    free(client);
}

vigil_client *vigil_open(const char *socket_path, const vigil_options *options) {
    vigil_options defaults;
    if (!options) {
        vigil_options_init(&defaults);
        options = &defaults;
    }
    if (!socket_path || strlen(socket_path) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
        options->queue_bytes < 4096 || options->max_backoff_ms < 1) {
        errno = EINVAL;
        return NULL;
    }
    vigil_client *client = calloc(1, sizeof *client);
    if (!client) return NULL;
    client->address.sun_family = AF_UNIX;
    strcpy(client->address.sun_path, socket_path);
    client->capacity = options->queue_bytes;
    client->max_backoff_ms = options->max_backoff_ms;
    client->ring = malloc(options->queue_bytes);
    client->service = copy_text(options->service);
    client->version = copy_text(options->version);
    client->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&client->answered, &attributes);
    pthread_condattr_destroy(&attributes);
    pthread_mutex_init(&client->lock, NULL);
    int failure = 0;
    if (!client->ring || client->wake_fd < 0 || (options->service && !client->service) ||
        (options->version && !client->version)) {
        failure = ENOMEM;
    } else {
        failure = pthread_create(&client->thread, NULL, run, client);
    }
    if (failure) {
        release(client);
        errno = failure;
        return NULL;
    }
    return client;
}

long vigil_flush(vigil_client *client, int timeout_ms) {
    if (!client) return -1;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    if (timeout_ms < 0) timeout_ms = 0;
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&client->lock);
    uint64_t target = client->frames_queued;
    while (client->frames_answered < target) {
        if (pthread_cond_timedwait(&client->answered, &client->lock, &deadline) == ETIMEDOUT) break;
    }
    long left = (long)(target - (client->frames_answered < target ? client->frames_answered : target));
    pthread_mutex_unlock(&client->lock);
    return left;
}

void vigil_get_stats(vigil_client *client, vigil_stats *stats) {
    pthread_mutex_lock(&client->lock);
    *stats = client->stats;
    pthread_mutex_unlock(&client->lock);
}

long vigil_close(vigil_client *client, int timeout_ms) {
    if (!client) return 0;
    long left = vigil_flush(client, timeout_ms);
    pthread_mutex_lock(&client->lock);
    client->stopping = 1;
    pthread_mutex_unlock(&client->lock);
    wake(client);
    pthread_join(client->thread, NULL);
    release(client);
    return left;
}
