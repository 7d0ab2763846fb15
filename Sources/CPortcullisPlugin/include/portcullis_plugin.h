/*
 * portcullis_plugin.h — the Portcullis host protocol, ABI version 1.1.
 *
 * Every credential-check plugin is a shared object that exports one symbol,
 * PORTCULLIS_PLUGIN_ENTRY, returning a pointer to a constant descriptor. The
 * host loads plugins with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) and never
 * unloads them; a configuration reload creates new instances of the same image.
 *
 * Compatibility rules
 *   - A plugin is accepted when its abi_major equals the host's and its
 *     descriptor_size is at least the size of the version-1.0 descriptor
 *     (PC_DESCRIPTOR_SIZE_1_0). A 1.0 plugin loads and behaves as it always did.
 *   - Minor versions only append fields at the end of a struct and give meaning to
 *     reserved fields. Every struct that crosses the boundary starts with its
 *     size, so either side can tell which fields the other knows.
 *   - Reserved fields are zero on the way in and must be left zero on the way out.
 *
 * Memory rules
 *   - The host owns every byte of a request for the duration of check(); a plugin
 *     that needs a value afterwards copies it.
 *   - Strings are pointer + length (pc_str), never NUL-terminated by contract, and
 *     may contain any byte (a Basic password is raw bytes, RFC 7617).
 *   - Whoever allocates frees: the host hands check() a zeroed pc_result; the plugin
 *     fills it with memory of its own; the host copies what it needs and then calls
 *     release() exactly once for that result, whatever the verdict.
 *
 * Concurrency rules
 *   - check() may run on many threads at once, on one instance. Instances must be
 *     thread-safe; state shared between calls (caches, counters, reloaded files)
 *     needs synchronization. Process globals are shared by every instance.
 *   - create() and destroy() for one instance never overlap with check() on it.
 *   - A plugin flagged PC_PLUGIN_BLOCKING (disk, PAM, slow hashes) is always called
 *     off the event loop, on a bounded pool; other plugins may be called inline and
 *     must not block.
 *
 * Fail closed
 *   - A verdict or reason outside the lists below is treated as an error: a deny
 *     with PC_REASON_PLUGIN_ERROR, never an allow.
 */
#ifndef PORTCULLIS_PLUGIN_H
#define PORTCULLIS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTCULLIS_ABI_MAJOR 1u
#define PORTCULLIS_ABI_MINOR 2u

/* The one symbol every plugin exports: `const pc_plugin_descriptor *portcullis_plugin_v1(void)`. */
#define PORTCULLIS_PLUGIN_ENTRY "portcullis_plugin_v1"

/* ---- Verdicts: what a plugin says about one request. ---------------------------------------
 * ERROR is zero on purpose: a result the plugin forgot to fill is an error, never an allow. */
#define PC_VERDICT_ERROR 0u  /* the plugin could not decide (backend down, bug): never an allow */
#define PC_VERDICT_ALLOW 1u  /* the credential (or address, …) is good: principal may be set   */
#define PC_VERDICT_DENY 2u   /* refused, with a reason                                          */
#define PC_VERDICT_IGNORE 3u /* not applicable to this request (e.g. no credential of its kind) */
#define PC_VERDICT_COUNT 4u  /* sentinel: not a verdict                                         */

/* ---- Reasons: one closed list shared by every plugin. -----------------------------------------
 * When you add one: append before PC_REASON_COUNT (never renumber), then update the Swift
 * ReasonCode enum (Sources/PortcullisProtocol), its default HTTP status and safe message
 * (Sources/Portcullis/Outcome), and docs/reasons.md. */
#define PC_REASON_NONE 0u                     /* allow / ignore carry no reason                  */
#define PC_REASON_MISSING_CREDENTIALS 1u      /* nothing the stack could check was sent          */
#define PC_REASON_MALFORMED_CREDENTIALS 2u    /* a credential was sent but cannot be parsed      */
#define PC_REASON_UNSUPPORTED_SCHEME 3u       /* a credential of a scheme nobody here accepts    */
#define PC_REASON_INVALID_CREDENTIALS 4u      /* wrong password, bad signature, unknown user     */
#define PC_REASON_EXPIRED_CREDENTIALS 5u      /* expired token or password                       */
#define PC_REASON_REVOKED_CREDENTIALS 6u      /* revoked token                                   */
#define PC_REASON_ACCOUNT_EXPIRED 7u          /* the account itself has expired                  */
#define PC_REASON_LOCKED_OUT 8u               /* too many failures                               */
#define PC_REASON_IP_NOT_ALLOWED 9u           /* the client address is not allowed               */
#define PC_REASON_CSRF_FAILED 10u             /* CSRF token missing or wrong                     */
#define PC_REASON_INSUFFICIENT_PERMISSIONS 11u /* authenticated, but not allowed this            */
#define PC_REASON_PLUGIN_ERROR 12u            /* the plugin failed                               */
#define PC_REASON_BACKEND_UNAVAILABLE 13u     /* a backend the plugin needs is down              */
#define PC_REASON_COUNT 14u                   /* sentinel: not a reason                          */

/* ---- Credential kinds, as parsed once by the host from `Authorization`. -------------------- */
#define PC_CREDENTIAL_NONE 0u      /* no Authorization header                                    */
#define PC_CREDENTIAL_BASIC 1u     /* RFC 7617: user and password set (raw bytes)                */
#define PC_CREDENTIAL_BEARER 2u    /* RFC 6750: token set                                        */
#define PC_CREDENTIAL_OTHER 3u     /* a well-formed header of another scheme: scheme and token   */
#define PC_CREDENTIAL_MALFORMED 4u /* a header was sent but could not be parsed; scheme if known */

/* Bits for pc_plugin_descriptor.credential_kinds: which kinds a plugin consumes. */
#define PC_CONSUMES_BASIC (1u << PC_CREDENTIAL_BASIC)
#define PC_CONSUMES_BEARER (1u << PC_CREDENTIAL_BEARER)
#define PC_CONSUMES_OTHER (1u << PC_CREDENTIAL_OTHER)

/* Bits for pc_plugin_descriptor.flags. */
#define PC_PLUGIN_BLOCKING (1u << 0)  /* check() may block: the host calls it on its pool       */
#define PC_PLUGIN_CACHEABLE (1u << 1) /* results depend only on the credential and the address */

/* Address families for pc_address.family. */
#define PC_ADDRESS_NONE 0u /* not known (no peer, or an unresolvable forwarded chain) */
#define PC_ADDRESS_IPV4 4u /* bytes[0..3]                                              */
#define PC_ADDRESS_IPV6 6u /* bytes[0..15]                                             */

/* Log levels for pc_host.log. */
#define PC_LOG_DEBUG 0u
#define PC_LOG_INFO 1u
#define PC_LOG_WARNING 2u
#define PC_LOG_ERROR 3u
#define PC_LOG_NOTICE 4u /* ABI 1.2: a normal but significant event (a lock, an operator's reset);
                            an older host logs it as an error */

/* A byte string: pointer + length, not NUL-terminated by contract. Every string the host passes
 * has a valid `data`, even when empty (a C plugin need not test for NULL). In what a plugin returns,
 * `data` may be NULL when length is 0 (a zeroed field is an empty string). */
typedef struct pc_str {
    const char *data;
    size_t length;
} pc_str;

/* A name/value pair: an HTTP header, a plugin argument, or an outcome attribute. */
typedef struct pc_pair {
    pc_str name;
    pc_str value;
} pc_pair;

/* An IP address in network byte order. */
typedef struct pc_address {
    uint32_t family; /* PC_ADDRESS_* */
    uint16_t port;   /* 0 when not known */
    uint16_t reserved;
    uint8_t bytes[16];
} pc_address;

/* The credential the host parsed from `Authorization`. Unused fields are empty. */
typedef struct pc_credential {
    uint32_t kind;   /* PC_CREDENTIAL_* */
    uint32_t reserved;
    pc_str scheme;   /* as sent, e.g. "Basic"; compare case-insensitively */
    pc_str user;     /* Basic: the user-id (everything before the first colon) */
    pc_str password; /* Basic: the password bytes (everything after the first colon) */
    pc_str token;    /* Bearer: the token; other schemes: the rest of the header */
} pc_credential;

/* One request, read-only, owned by the host for the duration of check(). */
typedef struct pc_request {
    uint32_t struct_size; /* sizeof(pc_request) as the host knows it */
    uint32_t reserved0;
    pc_str method;        /* the original request's method, e.g. "GET" */
    pc_str path;          /* the original request's target: path and query, as sent */
    pc_str host;          /* the original Host / authority */
    const pc_pair *headers; /* every header of the original request, in order */
    size_t header_count;
    pc_address peer;      /* the direct TCP peer */
    pc_address client;    /* the client, resolved by the host through its trusted proxies */
    pc_credential credential;
    pc_str stack;         /* the name of the stack being evaluated */
    void *reserved[8];

    /* ABI 1.1 — read only when PC_REQUEST_HAS(request, attribute_count).
     * The identity established so far in this stack: the principal and the attributes of the
     * allows that counted before this entry (empty for the first entry, and while none has).
     * Entries after the credential entries (authorization, lockout) decide with it. In observe()
     * it is the identity the whole stack established (empty on deny). */
    pc_str principal;
    const pc_pair *attributes;
    size_t attribute_count;
} pc_request;

/* What check() answers. The host zeroes it and sets struct_size; the plugin fills the rest. */
typedef struct pc_result {
    uint32_t struct_size; /* set by the host */
    uint32_t verdict;     /* PC_VERDICT_* */
    uint32_t reason;      /* PC_REASON_*: required for deny and error, NONE otherwise */
    int32_t cache_ttl;    /* seconds this result stays true: < 0 no hint, 0 never cache, > 0 an upper bound */
    uint32_t fail_delay_ms; /* deny: delay the response this long (PAM's fail delay); the host waits
                               without holding a thread. 0 = none */
    uint32_t retry_after_s; /* ABI 1.2 (was reserved): deny: seconds after which the same request may
                               succeed (a lock expires); the host sends it as `Retry-After` on a
                               locked_out answer. 0 = no hint */
    pc_str principal;     /* allow: who the caller is (UTF-8) */
    const pc_pair *attributes; /* allow: extra facts about the principal (UTF-8 names and values) */
    size_t attribute_count;
    pc_str challenge;     /* a WWW-Authenticate challenge this plugin offers, e.g. `Basic realm="api"` */
    pc_str detail;        /* for logs and `portcullis check`, never shown to clients; no secrets */
    void *plugin_data;    /* the plugin's own bookkeeping for release(); the host never reads it */
    void *reserved[6];
} pc_result;

/* ABI 1.1: how a stack's decision ended, for observe(). Owned by the host during the call. */
typedef struct pc_decision {
    uint32_t struct_size; /* sizeof(pc_decision) as the host knows it */
    uint32_t verdict;     /* PC_VERDICT_ALLOW or PC_VERDICT_DENY: what the way in answers */
    uint32_t reason;      /* deny: PC_REASON_*; allow: PC_REASON_NONE */
    uint32_t status;      /* the HTTP status of the answer */
    int32_t decided_by;   /* index of the entry whose result became the stack's status (the last
                             allow that counted, or the failure that was kept); -1 when the host
                             decided (no entry decided, or no principal was established) */
    int32_t entry;        /* index of the observing instance's own entry in the stack */
    pc_str principal;     /* allow: the principal */
    void *reserved[6];
} pc_decision;

/* Services the host offers a plugin instance; valid until destroy(). */
typedef struct pc_host {
    uint32_t struct_size;
    uint32_t abi_minor;
    void *context;
    /* Writes one line to the host's log, tagged with the instance. Thread-safe. */
    void (*log)(void *context, uint32_t level, pc_str message);

    /* ABI 1.2: host services in what were reserved slots. Each may be NULL (an older host, or a
     * host without the service): test before calling. All are thread-safe and never block on I/O;
     * call them from check() and observe() alike. */

    /* Adds `amount` to the counter metric `name` with these labels, in the host's /metrics. The
     * host prefixes nothing and accepts only names starting with `portcullis_<plugin name>_`;
     * label values must come from configuration (rule names), never from requests (paths, users),
     * so the number of series stays bounded. */
    void (*count)(void *context, pc_str name, const pc_pair *labels, size_t label_count, uint64_t amount);

    /* The shared store (`[store]` in the host's configuration): counters that raise flags, shared
     * by every daemon using the same backend. Keys are the plugin's own; the host namespaces them
     * by plugin name. */

    /* Counts one event for `key`; the count expires `window_ms` after the last event. When the count
     * reaches `limit` (0 = never), flags `key` for `flag_ms` on every daemon sharing the store.
     * Returns the count after this event as this process knows it: exact for this process, and it
     * includes what the backend has reported from others. */
    uint64_t (*store_hit)(void *context, pc_str key, uint64_t window_ms, uint64_t limit, uint64_t flag_ms);
    /* Milliseconds until `key`'s flag expires; 0 when it is not flagged. Reads local memory only. */
    uint64_t (*store_flagged)(void *context, pc_str key);
    /* Forgets `key`'s count (not its flag): an allow after failures. */
    void (*store_clear)(void *context, pc_str key);
    /* Milliseconds for which the local copy of the store's flags may have missed changes made
     * elsewhere; 0 while it is in sync with the backend (the memory backend always is). Once it is
     * stale, a flag set on another daemon (a revocation) may be unknown here: a plugin that must
     * not miss one refuses instead. UINT64_MAX before the first sync. Reads an atomic, no I/O. */
    uint64_t (*store_staleness_ms)(void *context);

    void *reserved[1];
} pc_host;

/* ABI 1.1: one argument create() accepts, as the plugin describes it to operators
 * (`portcullis plugins --options NAME`). A description only: create() still checks every
 * argument itself. Every string is UTF-8 and lives as long as the image. */
typedef struct pc_option {
    pc_str name;       /* the argument's key in a stack entry, e.g. "file" */
    pc_str kind;       /* the shape of its value, for people: "string", "bool", "integer MIN...MAX",
                          "list" (a TOML array or a repeated key: one pair per element) */
    pc_str help;       /* one line: what it does, its default */
    uint32_t flags;    /* PC_OPTION_* */
    uint32_t reserved0;
    void *reserved[2];
} pc_option;

/* Bits for pc_option.flags. */
#define PC_OPTION_REQUIRED (1u << 0) /* create() fails without it */

typedef struct pc_plugin_descriptor {
    uint32_t abi_major;        /* PORTCULLIS_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;        /* PORTCULLIS_ABI_MINOR the plugin was built against */
    uint32_t descriptor_size;  /* sizeof(pc_plugin_descriptor) as the plugin knows it */
    uint32_t flags;            /* PC_PLUGIN_* */
    uint32_t credential_kinds; /* PC_CONSUMES_* */
    uint32_t reserved0;
    const char *name;          /* short lowercase name, equal to its name in config ("crypt") */
    const char *version;       /* the plugin's own version, e.g. "1.0.0" */

    /* Makes an instance from the arguments of one stack entry (every key but plugin, control
     * and path). Returns 0 and sets *instance on success; otherwise returns non-zero and writes
     * a NUL-terminated message of at most error_size bytes into error. An unknown argument is
     * an error. A TOML array arrives as one pair per element; an empty array as one pair named
     * "KEY[]" with an empty value (given, empty: never the same as absent). `host` stays valid
     * until destroy(). */
    int (*create)(const pc_host *host, const pc_pair *arguments, size_t argument_count,
                  void **instance, char *error, size_t error_size);

    /* Decides one request. Must not keep pointers into request after it returns. */
    void (*check)(void *instance, const pc_request *request, pc_result *result);

    /* Frees whatever check() put into result. Called exactly once per check(). */
    void (*release)(void *instance, pc_result *result);

    /* Frees the instance. No check() or observe() on it runs or will run. */
    void (*destroy)(void *instance);

    void *reserved[8];

    /* ABI 1.1 — the host reads these only when PC_DESCRIPTOR_HAS(descriptor, generation).
     *
     * observe (optional, may be NULL): after a stack decides, the host calls it once per decision
     * for every instance in that stack (also those the controls did not reach), with the request
     * and the decision. It never changes the answer and never delays it: the host calls it after
     * the decision is made, off the request's path; for a PC_PLUGIN_BLOCKING plugin on the pool,
     * otherwise it must not block. Lockout counting and audit belong here. */
    void (*observe)(void *instance, const pc_request *request, const pc_decision *decision);

    /* generation (optional, may be NULL): a number that changes whenever the data this instance
     * decides with changes (a password file reloaded, keys rotated). The host keys its cached
     * answers with it, so a change stops cached answers at once. Thread-safe and cheap: it is
     * called for every cache lookup. */
    uint64_t (*generation)(void *instance);

    /* ABI 1.1 — the host reads these only when PC_DESCRIPTOR_HAS(descriptor, option_count).
     *
     * options (optional, may be NULL): the table of every argument create() accepts, option_count
     * entries, in the order to show them; static, as long as the image. NULL: the plugin does not
     * describe its arguments; a table with option_count 0: it accepts none. */
    const pc_option *options;
    size_t option_count;
} pc_plugin_descriptor;

/* The size of the version-1.0 descriptor: the smallest the host accepts. */
#define PC_DESCRIPTOR_SIZE_1_0 offsetof(pc_plugin_descriptor, observe)
/* The size of the version-1.0 request. */
#define PC_REQUEST_SIZE_1_0 offsetof(pc_request, principal)

/* Whether a struct the other side filled is large enough to hold `field`. */
#define PC_REQUEST_HAS(request, field) \
    ((request)->struct_size >= offsetof(pc_request, field) + sizeof((request)->field))
#define PC_DESCRIPTOR_HAS(descriptor, field) \
    ((descriptor)->descriptor_size >= offsetof(pc_plugin_descriptor, field) + sizeof((descriptor)->field))

typedef const pc_plugin_descriptor *(*pc_plugin_entry)(void);

#ifdef __cplusplus
}
#endif

#endif /* PORTCULLIS_PLUGIN_H */
