/* Tests of libvigil against a real vigil-agent process; prints "N passed, M failed".
 *
 * usage: test_vigil --agent PATH/vigil-agent --certs DIR   (DIR from deploy/certs.sh --agent web-01)
 *
 * Each case runs an agent with no reachable hub (it only buffers) in a temporary directory and checks, by
 * reading the agent's SQLite buffer, that what the client calls durable is stored. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vigil.h"

static const char *agent_binary, *certs;
static char failure[512];

#define CHECK(condition, ...)                                                                                         \
    do {                                                                                                              \
        if (!(condition)) {                                                                                           \
            snprintf(failure, sizeof failure, __VA_ARGS__);                                                           \
            return 0;                                                                                                 \
        }                                                                                                             \
    } while (0)

typedef struct {
    char directory[256], socket[320], database[320], config[320];
    pid_t pid;
} agent;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void agent_make(agent *a) {
    memset(a, 0, sizeof *a);
    snprintf(a->directory, sizeof a->directory, "/tmp/vigil-c-XXXXXX");
    if (!mkdtemp(a->directory)) abort();
    snprintf(a->socket, sizeof a->socket, "%s/agent.sock", a->directory);
    snprintf(a->database, sizeof a->database, "%s/agent.db", a->directory);
    snprintf(a->config, sizeof a->config, "%s/agent.yaml", a->directory);
    FILE *f = fopen(a->config, "w");
    fprintf(f,
            "agent_id: web-01\nendpoints: [\"127.0.0.1:1\"]\n"
            "tls: { ca: %s/ca.pem, cert: %s/agent-web-01.pem, key: %s/agent-web-01.key }\n"
            "ingest: { socket: %s }\nbuffer: { path: %s }\nsampling: { interval: 1h }\n"
            "shutdown: { drain_timeout: 100ms }\n",
            certs, certs, certs, a->socket, a->database);
    fclose(f);
}

static int agent_start(agent *a) {
    unlink(a->socket);
    a->pid = fork();
    if (a->pid == 0) {
        char log[400];
        snprintf(log, sizeof log, "%s/agent.log", a->directory);
        FILE *out = fopen(log, "a");
        if (out) {
            dup2(fileno(out), 1);
            dup2(fileno(out), 2);
        }
        execl(agent_binary, agent_binary, "run", "--config", a->config, (char *)NULL);
        _exit(127);
    }
    double deadline = now() + 20;
    struct stat st;
    while (stat(a->socket, &st) != 0) {
        if (now() > deadline || waitpid(a->pid, NULL, WNOHANG) == a->pid) return 0;
        usleep(20000);
    }
    return 1;
}

static void agent_stop(agent *a, int sig) {
    if (a->pid <= 0) return;
    kill(a->pid, SIGCONT);
    kill(a->pid, sig);
    waitpid(a->pid, NULL, 0);
    a->pid = 0;
}

static void agent_remove(agent *a) {
    agent_stop(a, SIGKILL);
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", a->directory);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", a->directory);
}

/* How many of `ids` (16 bytes each) the agent's buffer holds inside its stored records. */
static int stored(agent *a, uint8_t (*ids)[16], int count) {
    sqlite3 *db;
    if (sqlite3_open_v2(a->database, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) return -1;
    sqlite3_stmt *statement;
    size_t size = 0, capacity = 1 << 20;
    uint8_t *all = malloc(capacity);
    sqlite3_prepare_v2(db, "SELECT bytes FROM records", -1, &statement, NULL);
    while (sqlite3_step(statement) == SQLITE_ROW) {
        const void *blob = sqlite3_column_blob(statement, 0);
        size_t length = (size_t)sqlite3_column_bytes(statement, 0);
        while (size + length > capacity) all = realloc(all, capacity *= 2);
        memcpy(all + size, blob, length);
        size += length;
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    int found = 0;
    for (int i = 0; i < count; i++) found += memmem(all, size, ids[i], 16) != NULL;
    free(all);
    return found;
}

static vigil_client *open_client(agent *a, size_t queue_bytes) {
    vigil_options options;
    vigil_options_init(&options);
    options.service = "checkout";
    options.version = "1.4.0";
    if (queue_bytes) options.queue_bytes = queue_bytes;
    return vigil_open(a->socket, &options);
}

static int send_with_id(vigil_client *client, const char *name, uint8_t *id) {
    vigil_event event;
    vigil_event_init(&event, name);
    event.outcome = VIGIL_OUTCOME_OK;
    event.duration_ms = 3.5;
    if (id) {
        if (getrandom(id, 16, 0) != 16) abort();
        memcpy(event.event_id, id, 16);
        event.has_event_id = 1;
    }
    return vigil_send(client, &event);
}

static int test_durable(agent *a) {
    static uint8_t ids[2000][16];
    CHECK(agent_start(a), "the agent did not start");
    vigil_client *client = open_client(a, 0);
    vigil_attribute attributes[] = {{"finalStatus", "success"}};
    for (int i = 0; i < 2000; i++) {
        vigil_event event;
        vigil_event_init(&event, "request");
        event.duration_ms = i % 300;
        event.attributes = attributes;
        event.n_attributes = 1;
        getrandom(event.event_id, 16, 0);
        event.has_event_id = 1;
        memcpy(ids[i], event.event_id, 16);
        CHECK(vigil_send(client, &event) == VIGIL_OK, "send %d was not queued", i);
    }
    long left = vigil_flush(client, 10000);
    vigil_stats stats;
    vigil_get_stats(client, &stats);
    vigil_close(client, 1000);
    CHECK(left == 0, "flush left %ld", left);
    CHECK(stats.durable == 2000 && stats.dropped == 0 && stats.rejected == 0, "durable %llu dropped %llu",
          (unsigned long long)stats.durable, (unsigned long long)stats.dropped);
    agent_stop(a, SIGTERM);
    int found = stored(a, ids, 2000);
    CHECK(found == 2000, "%d of 2000 acknowledged events in the agent's buffer", found);
    return 1;
}

static int test_agent_down(agent *a) {
    static uint8_t ids[100][16];
    vigil_client *client = open_client(a, 0);
    vigil_client *small = open_client(a, 4096);
    double started = now();
    for (int i = 0; i < 100; i++) {
        CHECK(send_with_id(client, "while_down", ids[i]) == VIGIL_OK, "send %d was not queued", i);
        send_with_id(small, "while_down", NULL);
    }
    CHECK(now() - started < 1.0, "send blocked while the agent was down");
    long left = vigil_flush(client, 300);
    CHECK(left == 100, "flush said %ld not durable while the agent is down", left);
    vigil_stats stats;
    vigil_get_stats(small, &stats);
    CHECK(stats.dropped > 0 && stats.queued + stats.dropped == 100, "small queue: queued %llu dropped %llu",
          (unsigned long long)stats.queued, (unsigned long long)stats.dropped);
    CHECK(agent_start(a), "the agent did not start");
    left = vigil_flush(client, 15000);
    vigil_close(client, 1000);
    vigil_close(small, 1000);
    CHECK(left == 0, "flush left %ld after the agent started", left);
    agent_stop(a, SIGTERM);
    CHECK(stored(a, ids, 100) == 100, "events queued while the agent was down are missing");
    return 1;
}

typedef struct {
    vigil_client *client;
    uint8_t (*ids)[16];
    int count;
} producer;

static void *produce(void *argument) {
    producer *p = argument;
    for (int i = 0; i < p->count; i++) {
        while (send_with_id(p->client, "streamed", p->ids[i]) == VIGIL_DROPPED) usleep(1000);
        usleep(500);
    }
    return NULL;
}

static int test_restart_mid_stream(agent *a) {
    static uint8_t ids[3000][16];
    CHECK(agent_start(a), "the agent did not start");
    vigil_client *client = open_client(a, 0);
    producer p = {client, ids, 3000};
    pthread_t thread;
    pthread_create(&thread, NULL, produce, &p);
    usleep(600000);
    agent_stop(a, SIGKILL);
    usleep(300000);
    CHECK(agent_start(a), "the agent did not restart");
    pthread_join(thread, NULL);
    long left = vigil_flush(client, 20000);
    vigil_stats stats;
    vigil_get_stats(client, &stats);
    vigil_close(client, 1000);
    CHECK(left == 0, "flush left %ld", left);
    CHECK(stats.reconnects >= 1, "no reconnect counted");
    agent_stop(a, SIGTERM);
    int found = stored(a, ids, 3000);
    CHECK(found == 3000, "%d events lost across the agent's kill -9", 3000 - found);
    return 1;
}

static int test_refused(agent *a) {
    uint8_t good[2][16];
    CHECK(agent_start(a), "the agent did not start");
    vigil_client *client = open_client(a, 0);
    send_with_id(client, "before", good[0]);
    vigil_event bad;
    vigil_event_init(&bad, "bad");
    bad.outcome = (vigil_outcome)7; /* not an Outcome: the agent refuses the record */
    CHECK(vigil_send(client, &bad) == VIGIL_OK, "the bad event was not queued");
    send_with_id(client, "after", good[1]);
    long left = vigil_flush(client, 10000);
    vigil_stats stats;
    vigil_get_stats(client, &stats);
    vigil_close(client, 1000);
    CHECK(left == 0, "flush left %ld", left);
    CHECK(stats.rejected == 1 && stats.durable == 2, "rejected %llu durable %llu", (unsigned long long)stats.rejected,
          (unsigned long long)stats.durable);
    CHECK(strstr(stats.last_rejection, "outcome") != NULL, "last rejection \"%s\"", stats.last_rejection);
    agent_stop(a, SIGTERM);
    CHECK(stored(a, good, 2) == 2, "a good event next to the refused one is missing");
    return 1;
}

static int test_flush_timeout(agent *a) {
    CHECK(agent_start(a), "the agent did not start");
    vigil_client *client = open_client(a, 0);
    send_with_id(client, "warm", NULL);
    CHECK(vigil_flush(client, 10000) == 0, "warm-up flush failed");
    kill(a->pid, SIGSTOP);
    for (int i = 0; i < 10; i++) send_with_id(client, "slow", NULL);
    double started = now();
    long left = vigil_flush(client, 500);
    double took = now() - started;
    kill(a->pid, SIGCONT);
    CHECK(left == 10, "flush said %ld not durable", left);
    /* Returns at its deadline, not when the agent resumes; the upper bound is loose for a loaded 2-core CI host. */
    CHECK(took > 0.45 && took < 5.0, "flush took %.2f s for a 0.5 s timeout", took);
    left = vigil_flush(client, 10000);
    vigil_close(client, 1000);
    CHECK(left == 0, "flush left %ld after the agent resumed", left);
    return 1;
}

static void *send_many(void *argument) {
    for (int i = 0; i < 1000; i++) send_with_id(argument, "threaded", NULL);
    return NULL;
}

static int test_threads(agent *a) {
    CHECK(agent_start(a), "the agent did not start");
    vigil_client *client = open_client(a, 0);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, send_many, client);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    long left = vigil_flush(client, 10000);
    vigil_stats stats;
    vigil_get_stats(client, &stats);
    vigil_close(client, 1000);
    CHECK(left == 0 && stats.durable == 4000, "left %ld durable %llu", left, (unsigned long long)stats.durable);
    return 1;
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--agent") == 0) agent_binary = argv[i + 1];
        if (strcmp(argv[i], "--certs") == 0) certs = argv[i + 1];
    }
    if (!agent_binary || !certs) {
        fprintf(stderr, "usage: test_vigil --agent PATH/vigil-agent --certs DIR\n");
        return 2;
    }
    struct {
        const char *name;
        int (*run)(agent *);
    } tests[] = {
        {"durable", test_durable},
        {"agent_down", test_agent_down},
        {"restart_mid_stream", test_restart_mid_stream},
        {"refused", test_refused},
        {"flush_timeout", test_flush_timeout},
        {"threads", test_threads},
    };
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        agent a;
        agent_make(&a);
        failure[0] = 0;
        if (tests[i].run(&a)) {
            passed++;
            printf("ok %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAILED %s: %s (agent log in %s)\n", tests[i].name, failure, a.directory);
        }
        fflush(stdout);
        if (failure[0]) agent_stop(&a, SIGKILL); else agent_remove(&a);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
