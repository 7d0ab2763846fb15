/* bench/hmac-openssl/verify.c: the C peer of bench-hmac. Verifies one HS256 JWS compact token fully, as a
 * careful C verifier linked to Debian's libcrypto would: split on the dots, check the header names
 * HS256, base64url-decode the signature, HMAC-SHA256 the signing input from a key state made once
 * (HMAC_Init_ex with a NULL key resets to the keyed state, OpenSSL's documented reuse), compare in
 * constant time (CRYPTO_memcmp), then decode the payload and check `exp` is in the future and `sub`
 * is present (a minimal claims check, comparable to the plugin's).
 *
 * Input on stdin: two lines, the token and the secret in hex. Output: one line,
 * "<best ns per verification> <iterations>", best of 8 rounds. Exit 1 if the token does not verify.
 * It lives outside bench/hmac because SwiftPM refuses C files in a Swift target. Built by bench/run
 * (the hmac suite) with `cc -O2 ... -lcrypto`. */
#define _GNU_SOURCE /* memmem */
#define OPENSSL_SUPPRESS_DEPRECATED /* HMAC_CTX: still the fastest reusable keyed state in 3.0 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static signed char decode_table[256];

static void init_table(void) {
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    memset(decode_table, -1, sizeof decode_table);
    for (int i = 0; i < 64; i++) decode_table[(unsigned char)alphabet[i]] = (signed char)i;
}

/* base64url without padding; returns the decoded length or -1. */
static long b64url_decode(const char *in, size_t n, unsigned char *out, size_t capacity) {
    if (n % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        signed char v = decode_table[(unsigned char)in[i]];
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= capacity) return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return -1; /* non-canonical trailing bits */
    return (long)o;
}

/* The number after "name": in a JSON object, or -1 (enough for a flat, well-formed claims set). */
static double number_claim(const unsigned char *json, long n, const char *name) {
    char key[64];
    int k = snprintf(key, sizeof key, "\"%s\":", name);
    const unsigned char *p = memmem(json, (size_t)n, key, (size_t)k);
    if (!p) return -1;
    return strtod((const char *)p + k, NULL);
}

static int verify(HMAC_CTX *ctx, const char *token, size_t length, double now) {
    const char *first = memchr(token, '.', length);
    if (!first) return 0;
    const char *second = memchr(first + 1, '.', length - (size_t)(first + 1 - token));
    if (!second) return 0;
    unsigned char header[256], signature[64], mac[EVP_MAX_MD_SIZE], payload[4096];
    long header_length = b64url_decode(token, (size_t)(first - token), header, sizeof header);
    if (header_length < 0 || !memmem(header, (size_t)header_length, "\"alg\":\"HS256\"", 13)) return 0;
    size_t signature_chars = length - (size_t)(second + 1 - token);
    if (b64url_decode(second + 1, signature_chars, signature, sizeof signature) != 32) return 0;
    unsigned int mac_length = 0;
    if (!HMAC_Init_ex(ctx, NULL, 0, NULL, NULL)) return 0;
    if (!HMAC_Update(ctx, (const unsigned char *)token, (size_t)(second - token))) return 0;
    if (!HMAC_Final(ctx, mac, &mac_length) || mac_length != 32) return 0;
    if (CRYPTO_memcmp(mac, signature, 32) != 0) return 0;
    long payload_length = b64url_decode(first + 1, (size_t)(second - first - 1), payload, sizeof payload);
    if (payload_length < 0) return 0;
    double exp = number_claim(payload, payload_length, "exp");
    if (exp < 0 || exp + 30 < now) return 0;
    if (!memmem(payload, (size_t)payload_length, "\"sub\":\"", 7)) return 0;
    return 1;
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
    static char token[8192], hex[256];
    if (!fgets(token, sizeof token, stdin) || !fgets(hex, sizeof hex, stdin)) return 2;
    token[strcspn(token, "\r\n")] = 0;
    hex[strcspn(hex, "\r\n")] = 0;
    unsigned char secret[128];
    size_t secret_length = strlen(hex) / 2;
    for (size_t i = 0; i < secret_length; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return 2;
        secret[i] = (unsigned char)byte;
    }
    init_table();
    HMAC_CTX *ctx = HMAC_CTX_new();
    if (!ctx || !HMAC_Init_ex(ctx, secret, (int)secret_length, EVP_sha256(), NULL)) return 2;
    size_t length = strlen(token);
    double now = (double)time(NULL);
    if (!verify(ctx, token, length, now)) { fprintf(stderr, "verify.c: the token does not verify\n"); return 1; }
    /* A tampered signature must be refused, or the loop below measures nothing. */
    char original = token[length - 2];
    token[length - 2] = original == 'A' ? 'B' : 'A';
    if (verify(ctx, token, length, now)) { fprintf(stderr, "verify.c: a tampered token verified\n"); return 1; }
    token[length - 2] = original;
    const long iterations = 300000;
    double best = 1e30;
    for (int round = 0; round < 8; round++) {
        long good = 0;
        double start = seconds();
        for (long i = 0; i < iterations; i++) good += verify(ctx, token, length, now);
        double ns = (seconds() - start) * 1e9 / (double)iterations;
        if (good != iterations) { fprintf(stderr, "verify.c: a verification failed during the run\n"); return 1; }
        if (ns < best) best = ns;
    }
    printf("%.1f %ld\n", best, iterations);
    HMAC_CTX_free(ctx);
    return 0;
}
