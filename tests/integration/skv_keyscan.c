/* SPDX-License-Identifier: MIT */
/*
 * skv_keyscan.c — TEST-ONLY tool: search files for secret keys in every
 * form a leak could take: the raw bytes, lowercase hex, uppercase hex and
 * base64 (standard and URL-safe alphabets, at each of the three byte
 * alignments a key can have inside a longer base64 text, padded or not).
 *
 *   skv_keyscan KEYS FILE...
 * KEYS: one "label hex" line per key (hex of the raw key; other lines are
 * ignored) — skv_dekdump writes DEKs ("dek-...") and, given a nonce scan,
 * the envelope v2 subkeys derived from them ("sub-..."), searched alike. Prints "HIT label form FILE offset" for the first hit of each
 * (key, form, file) and a summary line to stderr. Exit 0 when nothing was
 * found, 1 when something was, 2 on usage or read errors. Files are
 * mapped read-only (core files may be large); empty files are skipped.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEYS 64
#define MAX_KEY 64
#define MAX_FORMS 16

struct form {
    char name[32];
    unsigned char pat[4 * MAX_KEY];
    size_t len;
};

struct key {
    char label[64];
    struct form f[MAX_FORMS];
    int nf;
};

static struct key keys[MAX_KEYS];
static int nkeys;

static int unhex(const char *h, unsigned char *out, size_t max, size_t *len)
{
    size_t n = strlen(h), i;
    if (n % 2 || n / 2 > max || n == 0)
        return -1;
    for (i = 0; i < n; i += 2) {
        unsigned v;
        if (!isxdigit((unsigned char)h[i]) || !isxdigit((unsigned char)h[i + 1]) ||
            sscanf(h + i, "%2x", &v) != 1)
            return -1;
        out[i / 2] = (unsigned char)v;
    }
    *len = n / 2;
    return 0;
}

static void add_form(struct key *k, const char *name, const void *p, size_t len)
{
    struct form *f;
    if (k->nf >= MAX_FORMS || len == 0 || len > sizeof k->f[0].pat)
        return;
    f = &k->f[k->nf++];
    snprintf(f->name, sizeof f->name, "%s", name);
    memcpy(f->pat, p, len);
    f->len = len;
}

/* base64 of `shift` zero bytes ‖ key, keeping only the characters whose six
 * bits all come from key bytes: what any base64 text containing the key
 * at that byte alignment must contain. */
static void add_b64(struct key *k, const unsigned char *raw, size_t n, int shift,
                    const char *alpha, const char *name)
{
    unsigned char buf[MAX_KEY + 3] = {0};
    char out[2 * MAX_KEY + 8];
    size_t total = (size_t)shift + n, i, o = 0, first, last;
    memcpy(buf + shift, raw, n);
    for (i = 0; i < total; i += 3) {
        unsigned v = (unsigned)buf[i] << 16 | (unsigned)(i + 1 < total ? buf[i + 1] : 0) << 8 |
                     (unsigned)(i + 2 < total ? buf[i + 2] : 0);
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    /* char j covers bits [6j, 6j+6) of the stream; key bits are
     * [8*shift, 8*total) */
    first = (8 * (size_t)shift + 5) / 6;
    last = (8 * total) / 6; /* exclusive */
    if (last > first) {
        char nm[32];
        snprintf(nm, sizeof nm, "%s@%d", name, shift);
        add_form(k, nm, out + first, last - first);
    }
}

static void make_forms(struct key *k, const unsigned char *raw, size_t n)
{
    static const char std[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char lo[2 * MAX_KEY + 1], up[2 * MAX_KEY + 1];
    size_t i;
    int s;
    for (i = 0; i < n; i++) {
        snprintf(lo + 2 * i, 3, "%02x", raw[i]);
        snprintf(up + 2 * i, 3, "%02X", raw[i]);
    }
    add_form(k, "raw", raw, n);
    add_form(k, "hex", lo, 2 * n);
    add_form(k, "HEX", up, 2 * n);
    for (s = 0; s < 3; s++) {
        add_b64(k, raw, n, s, std, "base64");
        add_b64(k, raw, n, s, url, "base64url");
    }
}

static int load_keys(const char *path)
{
    char line[512];
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof line, fp)) {
        char label[64], hex[2 * MAX_KEY + 2];
        unsigned char raw[MAX_KEY];
        size_t n;
        if (sscanf(line, "%63s %129s", label, hex) != 2 || unhex(hex, raw, sizeof raw, &n))
            continue;
        if (nkeys == MAX_KEYS)
            break;
        snprintf(keys[nkeys].label, sizeof keys[nkeys].label, "%s", label);
        make_forms(&keys[nkeys], raw, n);
        nkeys++;
    }
    fclose(fp);
    return nkeys ? 0 : -1;
}

static int scan(const char *path, unsigned long *hits)
{
    struct stat st;
    void *m;
    int fd = open(path, O_RDONLY | O_CLOEXEC), i, j;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return 0;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        perror(path);
        return -1;
    }
    for (i = 0; i < nkeys; i++)
        for (j = 0; j < keys[i].nf; j++) {
            const struct form *f = &keys[i].f[j];
            const unsigned char *p = memmem(m, (size_t)st.st_size, f->pat, f->len);
            if (p) {
                printf("HIT %s %s %s %ld\n", keys[i].label, f->name, path,
                       (long)(p - (const unsigned char *)m));
                (*hits)++;
            }
        }
    munmap(m, (size_t)st.st_size);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long hits = 0;
    int i, bad = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: skv_keyscan KEYS FILE...\n");
        return 2;
    }
    if (load_keys(argv[1]) != 0) {
        fprintf(stderr, "skv_keyscan: no key in %s\n", argv[1]);
        return 2;
    }
    for (i = 2; i < argc; i++)
        if (scan(argv[i], &hits) != 0)
            bad = 1;
    fprintf(stderr, "skv_keyscan: %d key(s) x %d form(s), %d file(s): %lu hit(s)\n", nkeys,
            keys[0].nf, argc - 2, hits);
    fflush(stdout);
    return bad ? 2 : hits ? 1 : 0;
}
