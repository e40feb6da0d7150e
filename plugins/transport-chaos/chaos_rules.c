/* SPDX-License-Identifier: MIT */
/*
 * chaos_rules.c — parsing and matching of chaos transport rules
 * (chaos_rules.h).
 */
#include "chaos_rules.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split `line` in place into at most 4 whitespace-separated words. */
static int split(char *line, char *w[4])
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == 4)
            return 5;
        w[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_peer(const char *s, uint64_t *out)
{
    if (strcmp(s, "*") == 0) {
        *out = 0;
        return 0;
    }
    return parse_u64(s, UINT64_MAX, out) == 0 && *out > 0 ? 0 : -1;
}

/* One line → rule; NULL on success or the reason it is bad. */
static const char *parse_line(char *line, struct chaos_rule *r, int *empty)
{
    char *w[4];
    char *hash = strchr(line, '#');
    uint64_t v;
    int n;
    if (hash)
        *hash = '\0';
    n = split(line, w);
    *empty = n == 0;
    if (n == 0)
        return NULL;
    memset(r, 0, sizeof *r);
    if (strcmp(w[0], "partition") == 0) {
        if (n != 2)
            return "expected: partition <peer>";
        if (parse_peer(w[1], &r->peer))
            return "peer must be a node id > 0 or *";
        r->partition = 1;
        return NULL;
    }
    if (strcmp(w[0], "drop") == 0 || strcmp(w[0], "delay") == 0) {
        int drop = w[0][1] == 'r';
        if (n != 3)
            return drop ? "expected: drop <peer> <pct>" : "expected: delay <peer> <ms>";
        if (parse_peer(w[1], &r->peer))
            return "peer must be a node id > 0 or *";
        if (parse_u64(w[2], drop ? 100 : 60000, &v))
            return drop ? "pct must be 0..100" : "ms must be 0..60000";
        if (drop)
            r->drop_pct = (unsigned)v;
        else
            r->delay_ms = (unsigned)v;
        return NULL;
    }
    return "unknown rule (drop, delay, partition)";
}

int chaos_rules_parse(const char *text, size_t len, struct chaos_rules *out,
                      char *bad, size_t bad_len)
{
    size_t pos = 0;
    unsigned lineno = 0;
    int nbad = 0;
    out->n = 0;
    if (bad && bad_len)
        bad[0] = '\0';
    while (pos < len) {
        char line[256];
        size_t e = pos, l;
        const char *why;
        struct chaos_rule r;
        int empty;
        while (e < len && text[e] != '\n')
            e++;
        l = e - pos;
        lineno++;
        if (l >= sizeof line) {
            why = "line too long";
        } else {
            memcpy(line, text + pos, l);
            line[l] = '\0';
            why = parse_line(line, &r, &empty);
            if (!why && !empty) {
                if (out->n == CHAOS_MAX_RULES)
                    why = "too many rules";
                else
                    out->r[out->n++] = r;
            }
        }
        if (why) {
            if (nbad == 0 && bad && bad_len)
                snprintf(bad, bad_len, "line %u: %s", lineno, why);
            nbad++;
        }
        pos = e + 1;
    }
    return nbad;
}

void chaos_rules_effect(const struct chaos_rules *rules, uint64_t peer,
                        struct chaos_effect *out)
{
    size_t i;
    memset(out, 0, sizeof *out);
    for (i = 0; i < rules->n; i++) {
        const struct chaos_rule *r = &rules->r[i];
        if (r->peer != 0 && r->peer != peer)
            continue;
        out->partition |= r->partition;
        if (r->drop_pct > out->drop_pct)
            out->drop_pct = r->drop_pct;
        if (r->delay_ms > out->delay_ms)
            out->delay_ms = r->delay_ms;
    }
}
