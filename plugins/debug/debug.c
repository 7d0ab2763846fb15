/*
 * debug — a scriptable Portcullis plugin in plain C.
 *
 * Its arguments script its answer, which makes it the workhorse of the host's tests and
 * the proof that the host protocol is language-neutral: this file needs only libc and
 * portcullis_plugin.h (`cc -shared -fPIC -I… debug.c -o libportcullis-debug.so`).
 *
 *   result    = "allow" | "deny" | "ignore" | "error"   (required)
 *   reason    = "<reason code>"      e.g. "invalid_credentials" (deny and error)
 *   principal = "<name>"             allow: the principal; "$user" takes the Basic user-id
 *   challenge = "<challenge>"        offered with any result, e.g. 'Basic realm="demo"'
 *   detail    = "<text>"             the log detail
 *   cache_ttl = "<seconds>"          the cache hint (default: no hint)
 *   echo      = "true"               allow: report what crossed the ABI as attributes
 *                                    (method, path, host, peer, client, credential, user,
 *                                    headers, stack, and from ABI 1.1 identity: the principal
 *                                    established so far, identity_attributes: their count)
 *                                    — never the password or token
 */
#include "portcullis_plugin.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_codes[PC_REASON_COUNT] = {
    [PC_REASON_NONE] = "",
    [PC_REASON_MISSING_CREDENTIALS] = "missing_credentials",
    [PC_REASON_MALFORMED_CREDENTIALS] = "malformed_credentials",
    [PC_REASON_UNSUPPORTED_SCHEME] = "unsupported_scheme",
    [PC_REASON_INVALID_CREDENTIALS] = "invalid_credentials",
    [PC_REASON_EXPIRED_CREDENTIALS] = "expired_credentials",
    [PC_REASON_REVOKED_CREDENTIALS] = "revoked_credentials",
    [PC_REASON_ACCOUNT_EXPIRED] = "account_expired",
    [PC_REASON_LOCKED_OUT] = "locked_out",
    [PC_REASON_IP_NOT_ALLOWED] = "ip_not_allowed",
    [PC_REASON_CSRF_FAILED] = "csrf_failed",
    [PC_REASON_INSUFFICIENT_PERMISSIONS] = "insufficient_permissions",
    [PC_REASON_PLUGIN_ERROR] = "plugin_error",
    [PC_REASON_BACKEND_UNAVAILABLE] = "backend_unavailable",
};

static const char *const verdict_names[PC_VERDICT_COUNT] = {
    [PC_VERDICT_ERROR] = "error",
    [PC_VERDICT_ALLOW] = "allow",
    [PC_VERDICT_DENY] = "deny",
    [PC_VERDICT_IGNORE] = "ignore",
};

typedef struct debug_instance {
    uint32_t verdict;
    uint32_t reason;
    int32_t cache_ttl;
    int echo;
    char *principal;
    char *challenge;
    char *detail;
} debug_instance;

/* What check() allocates for one result: the attribute pairs and their text. */
#define ECHO_COUNT 11

typedef struct debug_result {
    pc_pair attributes[ECHO_COUNT];
    char text[ECHO_COUNT][160];
} debug_result;

static int str_equals(pc_str value, const char *literal) {
    size_t length = strlen(literal);
    return value.length == length && (length == 0 || memcmp(value.data, literal, length) == 0);
}

static char *str_dup(pc_str value) {
    char *copy = malloc(value.length + 1);
    if (copy == NULL) return NULL;
    if (value.length > 0) memcpy(copy, value.data, value.length);
    copy[value.length] = '\0';
    return copy;
}

static pc_str str_view(const char *text) {
    pc_str view = {text, text == NULL ? 0 : strlen(text)};
    return view;
}

static int lookup(pc_str value, const char *const *names, uint32_t count, uint32_t *out) {
    for (uint32_t index = 0; index < count; index++) {
        if (names[index] != NULL && names[index][0] != '\0' && str_equals(value, names[index])) {
            *out = index;
            return 1;
        }
    }
    return 0;
}

static void debug_destroy(void *instance) {
    debug_instance *debug = instance;
    if (debug == NULL) return;
    free(debug->principal);
    free(debug->challenge);
    free(debug->detail);
    free(debug);
}

static int fail(debug_instance *debug, char *error, size_t error_size, const char *message, pc_str argument) {
    snprintf(error, error_size, "%s '%.*s'", message, (int)argument.length, argument.data ? argument.data : "");
    debug_destroy(debug);
    return 1;
}

static int debug_create(const pc_host *host, const pc_pair *arguments, size_t count, void **instance,
                        char *error, size_t error_size) {
    (void)host;
    debug_instance *debug = calloc(1, sizeof *debug);
    if (debug == NULL) return fail(NULL, error, error_size, "out of memory", str_view(""));
    debug->verdict = PC_VERDICT_COUNT; /* unset */
    debug->cache_ttl = -1;

    for (size_t index = 0; index < count; index++) {
        pc_str name = arguments[index].name, value = arguments[index].value;
        if (str_equals(name, "result")) {
            if (!lookup(value, verdict_names, PC_VERDICT_COUNT, &debug->verdict))
                return fail(debug, error, error_size, "result must be allow, deny, ignore or error, not", value);
        } else if (str_equals(name, "reason")) {
            if (!lookup(value, reason_codes, PC_REASON_COUNT, &debug->reason))
                return fail(debug, error, error_size, "unknown reason code", value);
        } else if (str_equals(name, "principal")) {
            free(debug->principal);
            debug->principal = str_dup(value);
        } else if (str_equals(name, "challenge")) {
            free(debug->challenge);
            debug->challenge = str_dup(value);
        } else if (str_equals(name, "detail")) {
            free(debug->detail);
            debug->detail = str_dup(value);
        } else if (str_equals(name, "cache_ttl")) {
            char *text = str_dup(value), *end = NULL;
            long ttl = text ? strtol(text, &end, 10) : -1;
            int valid = text && *text && end && *end == '\0' && ttl >= 0 && ttl <= 86400;
            free(text);
            if (!valid) return fail(debug, error, error_size, "cache_ttl must be 0…86400 seconds, not", value);
            debug->cache_ttl = (int32_t)ttl;
        } else if (str_equals(name, "echo")) {
            if (!str_equals(value, "true") && !str_equals(value, "false"))
                return fail(debug, error, error_size, "echo must be true or false, not", value);
            debug->echo = str_equals(value, "true");
        } else {
            return fail(debug, error, error_size,
                        "unknown argument (accepts: result, reason, principal, challenge, detail, cache_ttl, echo):",
                        name);
        }
    }
    if (debug->verdict == PC_VERDICT_COUNT)
        return fail(debug, error, error_size, "missing required argument", str_view("result"));
    if ((debug->verdict == PC_VERDICT_DENY || debug->verdict == PC_VERDICT_ERROR) && debug->reason == PC_REASON_NONE)
        return fail(debug, error, error_size, "a deny or error needs a reason, e.g.", str_view("invalid_credentials"));
    *instance = debug;
    return 0;
}

static void copy_text(char out[160], pc_str value) {
    size_t length = value.data == NULL ? 0 : (value.length < 159 ? value.length : 159);
    if (length > 0) memcpy(out, value.data, length);
    out[length] = '\0';
}

static void format_address(const pc_address *address, char *out, size_t size) {
    if (address->family == PC_ADDRESS_IPV4) inet_ntop(AF_INET, address->bytes, out, (socklen_t)size);
    else if (address->family == PC_ADDRESS_IPV6) inet_ntop(AF_INET6, address->bytes, out, (socklen_t)size);
    else snprintf(out, size, "none");
}

static void debug_check(void *instance, const pc_request *request, pc_result *result) {
    const debug_instance *debug = instance;
    result->verdict = debug->verdict;
    result->reason = debug->reason;
    result->cache_ttl = debug->cache_ttl;
    result->challenge = str_view(debug->challenge);
    result->detail = str_view(debug->detail);
    if (debug->verdict != PC_VERDICT_ALLOW) return;

    const pc_credential *credential = &request->credential;
    if (debug->principal != NULL && strcmp(debug->principal, "$user") == 0)
        result->principal = credential->kind == PC_CREDENTIAL_BASIC ? credential->user : str_view("");
    else
        result->principal = str_view(debug->principal);
    if (!debug->echo) return;

    debug_result *echo = calloc(1, sizeof *echo);
    if (echo == NULL) {
        result->verdict = PC_VERDICT_ERROR;
        result->reason = PC_REASON_PLUGIN_ERROR;
        return;
    }
    static const char *const kinds[] = {"none", "basic", "bearer", "other", "malformed"};
    const char *names[ECHO_COUNT] = {"method", "path", "host", "peer", "client", "credential", "user", "headers", "stack",
                                     "identity", "identity_attributes"};
    copy_text(echo->text[0], request->method);
    copy_text(echo->text[1], request->path);
    copy_text(echo->text[2], request->host);
    format_address(&request->peer, echo->text[3], 160);
    format_address(&request->client, echo->text[4], 160);
    snprintf(echo->text[5], 160, "%s", credential->kind < 5 ? kinds[credential->kind] : "?");
    copy_text(echo->text[6], credential->user);
    snprintf(echo->text[7], 160, "%zu", request->header_count);
    copy_text(echo->text[8], request->stack);
    int has_identity = PC_REQUEST_HAS(request, attribute_count);
    if (has_identity && request->principal.length > 0) copy_text(echo->text[9], request->principal);
    else snprintf(echo->text[9], 160, "none");
    snprintf(echo->text[10], 160, "%zu", has_identity ? request->attribute_count : 0);
    for (int index = 0; index < ECHO_COUNT; index++) {
        echo->attributes[index].name = str_view(names[index]);
        echo->attributes[index].value = str_view(echo->text[index]);
    }
    result->attributes = echo->attributes;
    result->attribute_count = ECHO_COUNT;
    result->plugin_data = echo;
}

static void debug_release(void *instance, pc_result *result) {
    (void)instance;
    free(result->plugin_data);
    result->plugin_data = NULL;
}

/* The arguments debug_create() accepts, for `portcullis plugins --options debug`. */
#define TEXT(literal) {literal, sizeof(literal) - 1}
static const pc_option options[] = {
    {.name = TEXT("result"), .kind = TEXT("string"), .help = TEXT("allow, deny, ignore or error: the verdict"),
     .flags = PC_OPTION_REQUIRED},
    {.name = TEXT("reason"), .kind = TEXT("string"), .help = TEXT("a reason code, e.g. invalid_credentials (deny and error need one)")},
    {.name = TEXT("principal"), .kind = TEXT("string"), .help = TEXT("allow: the principal; $user takes the Basic user-id")},
    {.name = TEXT("challenge"), .kind = TEXT("string"), .help = TEXT("a WWW-Authenticate challenge, offered with any verdict")},
    {.name = TEXT("detail"), .kind = TEXT("string"), .help = TEXT("the log detail")},
    {.name = TEXT("cache_ttl"), .kind = TEXT("integer 0...86400"), .help = TEXT("the cache hint, seconds (default: no hint)")},
    {.name = TEXT("echo"), .kind = TEXT("bool"), .help = TEXT("allow: report what crossed the ABI as attributes (default false)")},
};
#undef TEXT

static const pc_plugin_descriptor descriptor = {
    .abi_major = PORTCULLIS_ABI_MAJOR,
    .abi_minor = PORTCULLIS_ABI_MINOR,
    .descriptor_size = sizeof(pc_plugin_descriptor),
    .flags = 0,
    .credential_kinds = 0,
    .name = "debug",
    .version = "1.1.0",
    .create = debug_create,
    .check = debug_check,
    .release = debug_release,
    .destroy = debug_destroy,
    .options = options,
    .option_count = sizeof options / sizeof options[0],
};

__attribute__((visibility("default"))) const pc_plugin_descriptor *portcullis_plugin_v1(void) {
    return &descriptor;
}
