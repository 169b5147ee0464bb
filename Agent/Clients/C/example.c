/* Sends three events to the agent and waits until they are durable. */
#include <stdio.h>
#include <vigil.h>

int main(int argc, char **argv) {
    vigil_options options;
    vigil_options_init(&options);
    options.service = "checkout";
    options.version = "2.1.0";
    vigil_client *client = vigil_open(argc > 1 ? argv[1] : "/run/vigil/agent.sock", &options);
    if (!client) return perror("vigil_open"), 1;

    vigil_attribute attributes[] = {{"finalStatus", "success"}, {"uploadDuration", "1830"}};
    for (int i = 0; i < 3; i++) {
        vigil_event event;
        vigil_event_init(&event, "data_import_completed");
        event.outcome = VIGIL_OUTCOME_OK;
        event.duration_ms = 12.5 * (i + 1);
        event.attributes = attributes;
        event.n_attributes = 2;
        vigil_send(client, &event); /* never blocks; VIGIL_DROPPED when the queue is full */
    }
    long left = vigil_flush(client, 5000);
    vigil_stats stats;
    vigil_get_stats(client, &stats);
    printf("durable %llu, rejected %llu, dropped %llu, not yet durable %ld\n", (unsigned long long)stats.durable,
           (unsigned long long)stats.rejected, (unsigned long long)stats.dropped, left);
    vigil_close(client, 1000);
    return left == 0 ? 0 : 1;
}
