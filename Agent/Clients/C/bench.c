/* vigil-c-bench --socket PATH [--events N]: N events from one thread, then a flush; prints events/s until
 * durable at the agent. A full queue is waited out (vigil_send returns VIGIL_DROPPED), not counted as sent. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *socket_path = NULL;
    long events = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--socket") == 0) socket_path = argv[i + 1];
        if (strcmp(argv[i], "--events") == 0) events = atol(argv[i + 1]);
    }
    if (!socket_path || events <= 0) return fprintf(stderr, "usage: vigil-c-bench --socket PATH [--events N]\n"), 2;
    vigil_options options;
    vigil_options_init(&options);
    options.service = "bench";
    options.version = "1.0.0";
    vigil_client *client = vigil_open(socket_path, &options);
    if (!client) return perror("vigil_open"), 1;
    vigil_attribute attributes[] = {{"route", "/checkout"}};
    double started = now();
    for (long i = 0; i < events; i++) {
        vigil_event event;
        vigil_event_init(&event, "request");
        event.outcome = VIGIL_OUTCOME_OK;
        event.duration_ms = (double)(i % 500);
        event.attributes = attributes;
        event.n_attributes = 1;
        while (vigil_send(client, &event) == VIGIL_DROPPED) usleep(200);
    }
    long left = vigil_flush(client, 120000);
    double took = now() - started;
    vigil_close(client, 1000);
    if (left) return fprintf(stderr, "%ld events not durable after 120 s\n", left), 1;
    printf("c client: %ld events in %.2f s, %.0f events/s until durable at the agent\n", events, took,
           (double)events / took);
    printf("seconds=%f\n", took); /* the line make bench reads */
    return 0;
}
