/*
 * vigil-interop-peer: an independent implementation of the Vigil wire format (DESIGN.md §2),
 * built on protobuf-c, used by Tests/InteropTests to prove that what Swift writes another
 * protobuf runtime reads field for field, and the other way round.
 *
 *   vigil-interop-peer write FILE   writes a fixed sequence of frames (see write_frames) to FILE
 *   vigil-interop-peer read FILE    prints every field of every frame in FILE, one
 *                                   `path = value` per line (format below)
 *
 * Framing: a 4-byte unsigned big-endian length N, then N bytes of one vigil.v1.Frame.
 * N == 0 and N > MAX_FRAME_BYTES are errors, as are a short prefix or payload at the end.
 *
 * Dump format (InteropTests builds the same text from Swift values; keep both in step):
 *   - paths: frame[i].hello.labels["key"], frame[i].batch.records[j].event.duration_ms, ...
 *   - every scalar field is printed, defaults included; oneofs print `body = <case>` (or none)
 *   - repeated fields and maps print `<path>.count = n` first; maps follow sorted by key bytes
 *     (a key repeated on the wire prints once, last value wins, as protobuf specifies)
 *   - strings are quoted; `"` `\` and bytes < 0x20 or 0x7f print as \" \\ \xHH, other bytes raw
 *   - bytes print as 0x followed by lowercase hex (0x alone when empty)
 *   - doubles print with %.17g, except nan, inf, -inf
 *   - enums print NAME (number), with UNKNOWN for numbers this peer does not know
 *
 * Exit status: 0 on success, 1 on a malformed or unreadable file, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil.pb-c.h"

/** The receiver's limit for one frame, the protocol default of 16 MiB. */
#define MAX_FRAME_BYTES (16u * 1024u * 1024u)

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

static const char *program = "vigil-interop-peer";

static void fail(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

/** Prints `program: message` to stderr and exits 1. */
static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* ---- write ---------------------------------------------------------------------------------- */

/** One key/value pair, the shape shared by every map entry type protobuf-c generates. */
typedef struct {
    const char *key;
    const char *value;
} Pair;

static void write_frame(FILE *file, const char *path, const Vigil__V1__Frame *frame) {
    size_t size = vigil__v1__frame__get_packed_size(frame);
    if (size == 0 || size > MAX_FRAME_BYTES) fail("frame of %zu bytes cannot be framed", size);
    uint8_t *bytes = malloc(4 + size);
    if (bytes == NULL) fail("out of memory");
    bytes[0] = (uint8_t)(size >> 24);
    bytes[1] = (uint8_t)(size >> 16);
    bytes[2] = (uint8_t)(size >> 8);
    bytes[3] = (uint8_t)size;
    if (vigil__v1__frame__pack(frame, bytes + 4) != size) fail("protobuf-c packed an unexpected size");
    if (fwrite(bytes, 1, 4 + size, file) != 4 + size) fail("cannot write %s: %s", path, strerror(errno));
    free(bytes);
}

/*
 * Fills a protobuf-c map field's storage from a constant Pair array: protobuf-c wants an array of
 * pointers to entry messages, and each map field has its own entry type, hence a macro.
 */
#define FILL_MAP_ENTRIES(entries, pointers, init, pairs)    \
    for (size_t k = 0; k < COUNT_OF(pairs); k++) {          \
        init(&(entries)[k]);                                \
        (entries)[k].key = (char *)(pairs)[k].key;          \
        (entries)[k].value = (char *)(pairs)[k].value;      \
        (pointers)[k] = &(entries)[k];                      \
    }

/*
 * The frames InteropTests expects, in order. Keep in step with the test "Swift decodes every field
 * the C peer wrote". Everything lives on the stack or in constants.
 */
static void write_frames(const char *path) {
    FILE *file = fopen(path, "wb");
    if (file == NULL) fail("cannot create %s: %s", path, strerror(errno));

    /* 1. Hello: UTF-8 beyond ASCII, 16 bytes of stream id, a map. */
    static uint8_t stream_id[16];
    for (size_t i = 0; i < sizeof stream_id; i++) stream_id[i] = (uint8_t)i;
    static const Pair hello_pairs[] = {{"service", "checkout"}, {"version", "1.4.0"}, {"env", "prod"}};
    Vigil__V1__Hello hello = VIGIL__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.agent_id = "web-01";
    hello.stream_id.data = stream_id;
    hello.stream_id.len = sizeof stream_id;
    hello.hostname = "h\xc3\xb6st-\xc3\x9f-\xe6\x9d\xb1\xe4\xba\xac"; /* "höst-ß-東京" */
    hello.agent_version = "0.1.0";
    Vigil__V1__Hello__LabelsEntry hello_entries[COUNT_OF(hello_pairs)];
    Vigil__V1__Hello__LabelsEntry *hello_entry_pointers[COUNT_OF(hello_pairs)];
    FILL_MAP_ENTRIES(hello_entries, hello_entry_pointers, vigil__v1__hello__labels_entry__init, hello_pairs);
    hello.n_labels = COUNT_OF(hello_pairs);
    hello.labels = hello_entry_pointers;
    Vigil__V1__Frame hello_frame = VIGIL__V1__FRAME__INIT;
    hello_frame.body_case = VIGIL__V1__FRAME__BODY_HELLO;
    hello_frame.hello = &hello;
    write_frame(file, path, &hello_frame);

    /* 2. Batch: extreme integers and doubles, records with every field at its default. */
    static const Pair mount_pairs[] = {{"mount", "/"}};
    Vigil__V1__Sample first_sample = VIGIL__V1__SAMPLE__INIT;
    first_sample.time_unix_nano = INT64_MIN;
    first_sample.metric = "cpu.utilization";
    first_sample.value = 0.25;
    Vigil__V1__Sample__LabelsEntry mount_entries[COUNT_OF(mount_pairs)];
    Vigil__V1__Sample__LabelsEntry *mount_entry_pointers[COUNT_OF(mount_pairs)];
    FILL_MAP_ENTRIES(mount_entries, mount_entry_pointers, vigil__v1__sample__labels_entry__init, mount_pairs);
    first_sample.n_labels = COUNT_OF(mount_pairs);
    first_sample.labels = mount_entry_pointers;

    Vigil__V1__Sample default_sample = VIGIL__V1__SAMPLE__INIT;

    Vigil__V1__Sample extreme_sample = VIGIL__V1__SAMPLE__INIT;
    extreme_sample.time_unix_nano = INT64_MAX;
    extreme_sample.value = -1e308;

    static uint8_t event_id[16];
    memset(event_id, 0xff, sizeof event_id);
    static const Pair attribute_pairs[] = {{"peer.uid", "1000"}, {"emoji", "\xf0\x9f\x9a\x80"} /* 🚀 */};
    Vigil__V1__Event event = VIGIL__V1__EVENT__INIT;
    event.event_id.data = event_id;
    event.event_id.len = sizeof event_id;
    event.time_unix_nano = -1;
    event.service = "checkout";
    event.version = "2.1.0";
    event.name = "request";
    event.outcome = VIGIL__V1__OUTCOME__OUTCOME_ERROR;
    event.duration_ms = 12.5;
    event.error_category = "timeout";
    Vigil__V1__Event__AttributesEntry attribute_entries[COUNT_OF(attribute_pairs)];
    Vigil__V1__Event__AttributesEntry *attribute_entry_pointers[COUNT_OF(attribute_pairs)];
    FILL_MAP_ENTRIES(attribute_entries, attribute_entry_pointers, vigil__v1__event__attributes_entry__init,
                     attribute_pairs);
    event.n_attributes = COUNT_OF(attribute_pairs);
    event.attributes = attribute_entry_pointers;

    Vigil__V1__Event default_event = VIGIL__V1__EVENT__INIT;

    Vigil__V1__Record records[5];
    for (size_t i = 0; i < COUNT_OF(records); i++) vigil__v1__record__init(&records[i]);
    records[0].body_case = VIGIL__V1__RECORD__BODY_SAMPLE;
    records[0].sample = &first_sample;
    records[1].body_case = VIGIL__V1__RECORD__BODY_SAMPLE;
    records[1].sample = &default_sample;
    records[2].body_case = VIGIL__V1__RECORD__BODY_SAMPLE;
    records[2].sample = &extreme_sample;
    records[3].body_case = VIGIL__V1__RECORD__BODY_EVENT;
    records[3].event = &event;
    records[4].body_case = VIGIL__V1__RECORD__BODY_EVENT;
    records[4].event = &default_event;
    Vigil__V1__Record *record_pointers[COUNT_OF(records)];
    for (size_t i = 0; i < COUNT_OF(records); i++) record_pointers[i] = &records[i];

    Vigil__V1__Batch batch = VIGIL__V1__BATCH__INIT;
    batch.first_seq = UINT64_C(18446744073709551000);
    batch.n_records = COUNT_OF(records);
    batch.records = record_pointers;
    Vigil__V1__Frame batch_frame = VIGIL__V1__FRAME__INIT;
    batch_frame.body_case = VIGIL__V1__FRAME__BODY_BATCH;
    batch_frame.batch = &batch;
    write_frame(file, path, &batch_frame);

    /* 3. Ack. */
    Vigil__V1__Ack ack = VIGIL__V1__ACK__INIT;
    ack.through_seq = 42;
    Vigil__V1__Frame ack_frame = VIGIL__V1__FRAME__INIT;
    ack_frame.body_case = VIGIL__V1__FRAME__BODY_ACK;
    ack_frame.ack = &ack;
    write_frame(file, path, &ack_frame);

    /* 4. Reject. */
    Vigil__V1__Reject reject = VIGIL__V1__REJECT__INIT;
    reject.code = VIGIL__V1__REJECT__CODE__CODE_TOO_LARGE;
    reject.message = "too big";
    Vigil__V1__Frame reject_frame = VIGIL__V1__FRAME__INIT;
    reject_frame.body_case = VIGIL__V1__FRAME__BODY_REJECT;
    reject_frame.reject = &reject;
    write_frame(file, path, &reject_frame);

    /* 5. Welcome. */
    Vigil__V1__Welcome welcome = VIGIL__V1__WELCOME__INIT;
    welcome.protocol_version = 1;
    welcome.resume_after_seq = 7;
    welcome.max_frame_bytes = MAX_FRAME_BYTES;
    welcome.hub_id = "hub-a";
    Vigil__V1__Frame welcome_frame = VIGIL__V1__FRAME__INIT;
    welcome_frame.body_case = VIGIL__V1__FRAME__BODY_WELCOME;
    welcome_frame.welcome = &welcome;
    write_frame(file, path, &welcome_frame);

    if (fclose(file) != 0) fail("cannot write %s: %s", path, strerror(errno));
}

/* ---- read ----------------------------------------------------------------------------------- */

static void print_string(const char *string) {
    putchar('"');
    for (const unsigned char *c = (const unsigned char *)string; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\') {
            printf("\\%c", *c);
        } else if (*c < 0x20 || *c == 0x7f) {
            printf("\\x%02x", *c);
        } else {
            putchar(*c);
        }
    }
    putchar('"');
}

static void print_bytes(ProtobufCBinaryData bytes) {
    printf("0x");
    for (size_t i = 0; i < bytes.len; i++) printf("%02x", bytes.data[i]);
}

static void print_double(double value) {
    if (isnan(value)) {
        printf("nan");
    } else if (isinf(value)) {
        printf(value < 0 ? "-inf" : "inf");
    } else {
        printf("%.17g", value);
    }
}

static void line_string(const char *path, const char *field, const char *value) {
    printf("%s.%s = ", path, field);
    print_string(value);
    putchar('\n');
}

static void line_bytes(const char *path, const char *field, ProtobufCBinaryData value) {
    printf("%s.%s = ", path, field);
    print_bytes(value);
    putchar('\n');
}

static void line_double(const char *path, const char *field, double value) {
    printf("%s.%s = ", path, field);
    print_double(value);
    putchar('\n');
}

static void line_enum(const char *path, const char *field, const ProtobufCEnumDescriptor *descriptor, int value) {
    const ProtobufCEnumValue *known = protobuf_c_enum_descriptor_get_value(descriptor, value);
    printf("%s.%s = %s (%d)\n", path, field, known != NULL ? known->name : "UNKNOWN", value);
}

/** One map entry with its position on the wire, so equal keys keep their order when sorted. */
typedef struct {
    const char *key;
    const char *value;
    size_t position;
} MapEntry;

static int compare_map_entries(const void *left, const void *right) {
    const MapEntry *a = left, *b = right;
    int order = strcmp(a->key, b->key); /* strcmp compares as unsigned char: byte order */
    if (order != 0) return order;
    return a->position < b->position ? -1 : a->position > b->position;
}

/* Prints a map given as protobuf-c's array of entry messages. A macro, because each map field has
 * its own entry type; all of them have `key` and `value` strings. */
#define PRINT_MAP(path, field, count, entries)                                                 \
    do {                                                                                       \
        MapEntry *sorted = calloc((count) + 1, sizeof *sorted);                                \
        if (sorted == NULL) fail("out of memory");                                             \
        for (size_t k = 0; k < (count); k++) {                                                 \
            sorted[k] = (MapEntry){(entries)[k]->key, (entries)[k]->value, k};                 \
        }                                                                                      \
        print_sorted_map((path), (field), sorted, (count));                                    \
        free(sorted);                                                                          \
    } while (0)

static void print_sorted_map(const char *path, const char *field, MapEntry *entries, size_t count) {
    qsort(entries, count, sizeof *entries, compare_map_entries);
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++) {
        if (i + 1 == count || strcmp(entries[i].key, entries[i + 1].key) != 0) distinct++;
    }
    printf("%s.%s.count = %zu\n", path, field, distinct);
    for (size_t i = 0; i < count; i++) {
        if (i + 1 < count && strcmp(entries[i].key, entries[i + 1].key) == 0) continue; /* last wins */
        printf("%s.%s[", path, field);
        print_string(entries[i].key);
        printf("] = ");
        print_string(entries[i].value);
        putchar('\n');
    }
}

static void print_hello(const char *path, const Vigil__V1__Hello *hello) {
    printf("%s.protocol_version = %" PRIu32 "\n", path, hello->protocol_version);
    line_string(path, "agent_id", hello->agent_id);
    line_bytes(path, "stream_id", hello->stream_id);
    line_string(path, "hostname", hello->hostname);
    line_string(path, "agent_version", hello->agent_version);
    PRINT_MAP(path, "labels", hello->n_labels, hello->labels);
}

static void print_welcome(const char *path, const Vigil__V1__Welcome *welcome) {
    printf("%s.protocol_version = %" PRIu32 "\n", path, welcome->protocol_version);
    printf("%s.resume_after_seq = %" PRIu64 "\n", path, welcome->resume_after_seq);
    printf("%s.max_frame_bytes = %" PRIu32 "\n", path, welcome->max_frame_bytes);
    line_string(path, "hub_id", welcome->hub_id);
}

static void print_sample(const char *path, const Vigil__V1__Sample *sample) {
    printf("%s.time_unix_nano = %" PRId64 "\n", path, sample->time_unix_nano);
    line_string(path, "metric", sample->metric);
    line_double(path, "value", sample->value);
    PRINT_MAP(path, "labels", sample->n_labels, sample->labels);
}

static void print_event(const char *path, const Vigil__V1__Event *event) {
    line_bytes(path, "event_id", event->event_id);
    printf("%s.time_unix_nano = %" PRId64 "\n", path, event->time_unix_nano);
    line_string(path, "service", event->service);
    line_string(path, "version", event->version);
    line_string(path, "name", event->name);
    line_enum(path, "outcome", &vigil__v1__outcome__descriptor, (int)event->outcome);
    line_double(path, "duration_ms", event->duration_ms);
    line_string(path, "error_category", event->error_category);
    PRINT_MAP(path, "attributes", event->n_attributes, event->attributes);
}

static void print_batch(const char *path, const Vigil__V1__Batch *batch) {
    printf("%s.first_seq = %" PRIu64 "\n", path, batch->first_seq);
    printf("%s.records.count = %zu\n", path, batch->n_records);
    for (size_t i = 0; i < batch->n_records; i++) {
        const Vigil__V1__Record *record = batch->records[i];
        char record_path[256];
        snprintf(record_path, sizeof record_path, "%s.records[%zu]", path, i);
        char body_path[272];
        switch (record->body_case) {
            case VIGIL__V1__RECORD__BODY_SAMPLE:
                printf("%s.body = sample\n", record_path);
                snprintf(body_path, sizeof body_path, "%s.sample", record_path);
                print_sample(body_path, record->sample);
                break;
            case VIGIL__V1__RECORD__BODY_EVENT:
                printf("%s.body = event\n", record_path);
                snprintf(body_path, sizeof body_path, "%s.event", record_path);
                print_event(body_path, record->event);
                break;
            default:
                printf("%s.body = none\n", record_path);
                break;
        }
    }
}

static void print_frame(size_t index, const Vigil__V1__Frame *frame) {
    char path[64];
    switch (frame->body_case) {
        case VIGIL__V1__FRAME__BODY_HELLO:
            printf("frame[%zu].body = hello\n", index);
            snprintf(path, sizeof path, "frame[%zu].hello", index);
            print_hello(path, frame->hello);
            break;
        case VIGIL__V1__FRAME__BODY_WELCOME:
            printf("frame[%zu].body = welcome\n", index);
            snprintf(path, sizeof path, "frame[%zu].welcome", index);
            print_welcome(path, frame->welcome);
            break;
        case VIGIL__V1__FRAME__BODY_BATCH:
            printf("frame[%zu].body = batch\n", index);
            snprintf(path, sizeof path, "frame[%zu].batch", index);
            print_batch(path, frame->batch);
            break;
        case VIGIL__V1__FRAME__BODY_ACK:
            printf("frame[%zu].body = ack\n", index);
            printf("frame[%zu].ack.through_seq = %" PRIu64 "\n", index, frame->ack->through_seq);
            break;
        case VIGIL__V1__FRAME__BODY_REJECT:
            printf("frame[%zu].body = reject\n", index);
            snprintf(path, sizeof path, "frame[%zu].reject", index);
            line_enum(path, "code", &vigil__v1__reject__code__descriptor, (int)frame->reject->code);
            line_string(path, "message", frame->reject->message);
            break;
        default:
            printf("frame[%zu].body = none\n", index);
            break;
    }
}

/*
 * Reads frames until the end of the file. A frame is dumped only once it has been read whole and
 * decoded, so the output before an error is exactly the frames that were valid.
 */
static void read_frames(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) fail("cannot open %s: %s", path, strerror(errno));
    uint8_t *payload = NULL;
    unsigned long long offset = 0;
    for (size_t index = 0;; index++) {
        uint8_t prefix[4];
        size_t got = fread(prefix, 1, sizeof prefix, file);
        if (got == 0 && feof(file)) break;
        if (got < sizeof prefix) {
            if (ferror(file)) fail("cannot read %s: %s", path, strerror(errno));
            fail("frame %zu at offset %llu: stream ended inside the 4-byte length prefix (%zu bytes)", index,
                 offset, got);
        }
        uint32_t length = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];
        if (length == 0) fail("frame %zu at offset %llu: length is 0", index, offset);
        if (length > MAX_FRAME_BYTES) {
            fail("frame %zu at offset %llu: length %" PRIu32 " exceeds the limit of %u bytes", index, offset, length,
                 MAX_FRAME_BYTES);
        }
        payload = realloc(payload, length);
        if (payload == NULL) fail("out of memory");
        got = fread(payload, 1, length, file);
        if (got < length) {
            if (ferror(file)) fail("cannot read %s: %s", path, strerror(errno));
            fail("frame %zu at offset %llu: stream ended %zu bytes short of a %" PRIu32 "-byte payload", index, offset,
                 (size_t)length - got, length);
        }
        Vigil__V1__Frame *frame = vigil__v1__frame__unpack(NULL, length, payload);
        if (frame == NULL) {
            fail("frame %zu at offset %llu: %" PRIu32 "-byte payload is not a valid vigil.v1.Frame", index, offset,
                 length);
        }
        print_frame(index, frame);
        vigil__v1__frame__free_unpacked(frame, NULL);
        offset += 4 + (unsigned long long)length;
    }
    free(payload);
    fclose(file);
    if (fflush(stdout) != 0 || ferror(stdout)) fail("cannot write the dump to stdout");
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "read") != 0)) {
        fprintf(stderr,
                "usage: %s write FILE   write the interop frames to FILE\n"
                "       %s read FILE    print every field of every frame in FILE\n",
                program, program);
        return 2;
    }
    if (strcmp(argv[1], "write") == 0) {
        write_frames(argv[2]);
    } else {
        read_frames(argv[2]);
    }
    return 0;
}
