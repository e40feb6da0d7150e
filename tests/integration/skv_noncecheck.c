/* SPDX-License-Identifier: MIT */
/*
 * skv_noncecheck.c — TEST-ONLY checker of the cluster-wide nonce scan:
 * reads skv_noncescan lines ("KEY_ID SALT NONCE HASH [WHERE]") from the
 * FILEs (or stdin) and reports every (key_id, salt, nonce) that occurs
 * with two different ciphertext hashes — a nonce used twice under one
 * AEAD key. The same triple with the same hash (a replicated Raft entry,
 * a value and its snapshot copy) is fine.
 *
 *   skv_noncecheck [FILE...]
 * Prints "REUSE key_id=K salt=S nonce=N: HASH1 at WHERE1, HASH2 at
 * WHERE2" per offending triple and a summary on stderr. Exit 0 clean,
 * 1 on reuse, 2 on usage/read errors or a malformed line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD 80

struct line {
    char id[16], salt[40], nonce[32], hash[72], where[FIELD];
};

struct lines {
    struct line *v;
    size_t n, cap;
};

static int triple_cmp(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (!c)
        c = strcmp(x->salt, y->salt);
    if (!c)
        c = strcmp(x->nonce, y->nonce);
    return c ? c : strcmp(x->hash, y->hash);
}

/* Append one parsed line; -1 on OOM or a malformed line. */
static int add(struct lines *l, const char *buf)
{
    struct line x;
    int n;
    memset(&x, 0, sizeof x);
    n = sscanf(buf, "%15s %39s %31s %71s %79s", x.id, x.salt, x.nonce, x.hash, x.where);
    if (n < 4)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        struct line *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

static int read_file(struct lines *l, FILE *f, const char *name)
{
    char buf[512];
    unsigned long no = 0;
    while (fgets(buf, sizeof buf, f)) {
        no++;
        if (buf[0] == '\n' || buf[0] == '#')
            continue;
        if (add(l, buf) != 0) {
            fprintf(stderr, "skv_noncecheck: %s:%lu: malformed line or out of memory\n", name, no);
            return -1;
        }
    }
    return ferror(f) ? -1 : 0;
}

/* Sorted by triple then hash: a reuse is a triple whose hashes differ. */
static unsigned long report(const struct lines *l)
{
    unsigned long bad = 0;
    size_t i;
    for (i = 1; i < l->n; i++) {
        const struct line *a = &l->v[i - 1], *b = &l->v[i];
        if (strcmp(a->id, b->id) || strcmp(a->salt, b->salt) || strcmp(a->nonce, b->nonce) ||
            !strcmp(a->hash, b->hash))
            continue;
        printf("REUSE key_id=%s salt=%s nonce=%s: %s at %s, %s at %s\n", a->id, a->salt,
               a->nonce, a->hash, a->where[0] ? a->where : "?", b->hash,
               b->where[0] ? b->where : "?");
        bad++;
    }
    return bad;
}

int main(int argc, char **argv)
{
    struct lines l = {NULL, 0, 0};
    unsigned long bad;
    int i, rc = 0;
    for (i = 1; i < argc && rc == 0; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            perror(argv[i]);
            rc = 2;
        } else {
            rc = read_file(&l, f, argv[i]) ? 2 : 0;
            fclose(f);
        }
    }
    if (argc == 1 && read_file(&l, stdin, "stdin") != 0)
        rc = 2;
    if (rc) {
        free(l.v);
        return rc;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, triple_cmp);
    bad = report(&l);
    fprintf(stderr, "skv_noncecheck: %zu envelopes, %lu (key_id, salt, nonce) reused\n", l.n, bad);
    free(l.v);
    return bad ? 1 : 0;
}
