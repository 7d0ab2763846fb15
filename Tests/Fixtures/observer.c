/* A test plugin for ABI 1.1's observe(): it answers what its arguments say and, after every
 * decision of its stack, appends one line to `observe_file`, so a test (or another process) can
 * count exactly how often, and with what, the host told it how a decision ended:
 *
 *   <entry> <allow|deny> <reason number> <status> <decided_by> <principal or -> <identity or ->\n
 *
 *   result    = "allow" | "deny" | "ignore"   (default ignore)
 *   principal = "<name>"                      allow: the principal (default: none)
 *   observe_file = "<path>"                   required
 * OBSERVER_BLOCKING adds the blocking flag; OBSERVER_NAME renames it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portcullis_plugin.h"

#ifndef OBSERVER_NAME
#define OBSERVER_NAME "observer"
#endif
#ifdef OBSERVER_BLOCKING
#define OBSERVER_FLAGS PC_PLUGIN_BLOCKING
#else
#define OBSERVER_FLAGS 0
#endif

typedef struct {
    uint32_t verdict;
    char principal[128];
    char observe_file[1024];
} instance_t;

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
    self->verdict = PC_VERDICT_IGNORE;
    for (size_t i = 0; i < count; i++) {
        if (is(args[i].name, "result")) {
            self->verdict = is(args[i].value, "allow") ? PC_VERDICT_ALLOW : is(args[i].value, "deny") ? PC_VERDICT_DENY : PC_VERDICT_IGNORE;
        } else if (is(args[i].name, "principal")) {
            copy(args[i].value, self->principal, sizeof self->principal);
        } else if (is(args[i].name, "observe_file")) {
            copy(args[i].value, self->observe_file, sizeof self->observe_file);
        } else {
            snprintf(error, error_size, "unknown argument");
            free(self);
            return 1;
        }
    }
    if (!self->observe_file[0]) {
        snprintf(error, error_size, "observe_file is required");
        free(self);
        return 1;
    }
    *out = self;
    return 0;
}

static void check(void *instance, const pc_request *request, pc_result *result) {
    (void)request;
    instance_t *self = instance;
    result->verdict = self->verdict;
    if (self->verdict == PC_VERDICT_DENY) result->reason = PC_REASON_INVALID_CREDENTIALS;
    if (self->verdict == PC_VERDICT_ALLOW) {
        result->principal.data = self->principal;
        result->principal.length = strlen(self->principal);
    }
}

static void observe(void *instance, const pc_request *request, const pc_decision *decision) {
    instance_t *self = instance;
    char line[512];
    int principal_length = (int)(decision->principal.length < 100 ? decision->principal.length : 100);
    int identity_length = (int)(request->principal.length < 100 ? request->principal.length : 100);
    int n = snprintf(line, sizeof line, "%d %s %u %u %d %.*s %.*s\n", decision->entry,
                     decision->verdict == PC_VERDICT_ALLOW ? "allow" : "deny", decision->reason, decision->status,
                     decision->decided_by, principal_length ? principal_length : 1,
                     principal_length ? decision->principal.data : "-", identity_length ? identity_length : 1,
                     identity_length ? request->principal.data : "-");
    int fd = open(self->observe_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    /* One write with O_APPEND: lines from concurrent observers never interleave. */
    if (write(fd, line, (size_t)n) != n) { /* a test counts lines: a short write shows there */ }
    close(fd);
}

static void release(void *instance, pc_result *result) { (void)instance; (void)result; }
static void destroy(void *instance) { free(instance); }

static const pc_plugin_descriptor descriptor = {
    .abi_major = PORTCULLIS_ABI_MAJOR,
    .abi_minor = PORTCULLIS_ABI_MINOR,
    .descriptor_size = sizeof(pc_plugin_descriptor),
    .flags = OBSERVER_FLAGS,
    .name = OBSERVER_NAME,
    .version = "1.1.0",
    .create = create,
    .check = check,
    .release = release,
    .destroy = destroy,
    .observe = observe,
};

__attribute__((visibility("default"))) const pc_plugin_descriptor *portcullis_plugin_v1(void) { return &descriptor; }
