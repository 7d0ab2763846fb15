/* A test plugin that counts its calls: each check() appends one byte to `count_file`, so a
 * test (or another process) can see exactly how often the host called the plugin. Flagged
 * cacheable; COUNTING_BLOCKING adds the blocking flag, COUNTING_NAME renames it.
 * Basic credential with the configured password → allow (principal = user); another password →
 * deny invalid_credentials (with `fail_delay_ms`); no Basic credential → ignore. `mode = "error"`
 * answers error; `sleep_ms` holds the thread; `cache_ttl` is the hint (-1 = none). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portcullis_plugin.h"

#ifndef COUNTING_NAME
#define COUNTING_NAME "counting"
#endif
#ifdef COUNTING_BLOCKING
#define COUNTING_FLAGS (PC_PLUGIN_CACHEABLE | PC_PLUGIN_BLOCKING)
#else
#define COUNTING_FLAGS PC_PLUGIN_CACHEABLE
#endif

typedef struct {
    char count_file[1024];
    char password[256];
    int error_mode;
    int sleep_ms;
    int cache_ttl;
    unsigned fail_delay_ms;
} instance_t;

static const char challenge[] = "Basic realm=\"count\"";

static int is(pc_str s, const char *text) {
    size_t n = strlen(text);
    return s.length == n && (n == 0 || memcmp(s.data, text, n) == 0);
}

static void copy(pc_str s, char *to, size_t size) {
    size_t n = s.length < size - 1 ? s.length : size - 1;
    if (n) memcpy(to, s.data, n);
    to[n] = 0;
}

static int create(const pc_host *host, const pc_pair *args, size_t count, void **out, char *error, size_t error_size) {
    (void)host;
    instance_t *self = calloc(1, sizeof *self);
    if (!self) return 1;
    self->cache_ttl = -1;
    char number[32];
    for (size_t i = 0; i < count; i++) {
        if (is(args[i].name, "count_file")) copy(args[i].value, self->count_file, sizeof self->count_file);
        else if (is(args[i].name, "password")) copy(args[i].value, self->password, sizeof self->password);
        else if (is(args[i].name, "mode")) self->error_mode = is(args[i].value, "error");
        else if (is(args[i].name, "sleep_ms")) { copy(args[i].value, number, sizeof number); self->sleep_ms = atoi(number); }
        else if (is(args[i].name, "cache_ttl")) { copy(args[i].value, number, sizeof number); self->cache_ttl = atoi(number); }
        else if (is(args[i].name, "fail_delay_ms")) { copy(args[i].value, number, sizeof number); self->fail_delay_ms = (unsigned)atoi(number); }
        else {
            snprintf(error, error_size, "unknown argument");
            free(self);
            return 1;
        }
    }
    *out = self;
    return 0;
}

static void check(void *instance, const pc_request *request, pc_result *result) {
    instance_t *self = instance;
    int fd = open(self->count_file, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
        (void)!write(fd, "x", 1);
        close(fd);
    }
    if (self->sleep_ms > 0) {
        struct timespec pause = {self->sleep_ms / 1000, (long)(self->sleep_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
    }
    result->cache_ttl = self->cache_ttl;
    result->challenge.data = challenge;
    result->challenge.length = sizeof challenge - 1;
    if (self->error_mode) {
        result->verdict = PC_VERDICT_ERROR;
        result->reason = PC_REASON_PLUGIN_ERROR;
        return;
    }
    if (request->credential.kind != PC_CREDENTIAL_BASIC) {
        result->verdict = PC_VERDICT_IGNORE;
        return;
    }
    if (is(request->credential.password, self->password)) {
        char *user = malloc(request->credential.user.length + 1);
        if (!user) return; /* zeroed result: error */
        copy(request->credential.user, user, request->credential.user.length + 1);
        result->verdict = PC_VERDICT_ALLOW;
        result->principal.data = user;
        result->principal.length = strlen(user);
        result->plugin_data = user;
    } else {
        result->verdict = PC_VERDICT_DENY;
        result->reason = PC_REASON_INVALID_CREDENTIALS;
        result->fail_delay_ms = self->fail_delay_ms;
    }
}

static void release(void *instance, pc_result *result) {
    (void)instance;
    free(result->plugin_data);
}

static void destroy(void *instance) { free(instance); }

static const pc_plugin_descriptor descriptor = {
    .abi_major = PORTCULLIS_ABI_MAJOR,
    .abi_minor = PORTCULLIS_ABI_MINOR,
    .descriptor_size = sizeof(pc_plugin_descriptor),
    .flags = COUNTING_FLAGS,
    .credential_kinds = PC_CONSUMES_BASIC,
    .name = COUNTING_NAME,
    .version = "1.0.0",
    .create = create,
    .check = check,
    .release = release,
    .destroy = destroy,
};

const pc_plugin_descriptor *portcullis_plugin_v1(void) { return &descriptor; }
