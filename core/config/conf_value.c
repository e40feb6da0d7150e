/* SPDX-License-Identifier: MIT */
/*
 * conf_value.c — typed reads of config tree nodes (conf_value.h). Only
 * strict forms are accepted: decimal integers without sign or leading
 * zeros, true/false/yes/no, non-empty strings, host:port.
 */
#include "config/conf_value.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int conf_expect(const struct conf_node *n, enum conf_kind kind,
                const char *what, struct conf_err *e)
{
    if (n->kind == kind)
        return 0;
    if (conf_is_null(n))
        return conf_errf(e, &n->pos, "'%s' has no value (expected %s)", what,
                         conf_kind_name(kind));
    return conf_errf(e, &n->pos, "'%s' must be %s, got %s", what,
                     conf_kind_name(kind), conf_kind_name(n->kind));
}

int conf_seq(const struct conf_node *n, const char *what, size_t limit,
             struct conf_err *e)
{
    if (conf_expect(n, CONF_SEQ, what, e))
        return -1;
    if (n->n > limit)
        return conf_errf(e, &n->items[limit]->pos, "too many entries in '%s' (limit %zu)",
                         what, limit);
    return 0;
}

/* A scalar that must be written plain (ints, bools): `expected` names it. */
static int plain_scalar(const struct conf_node *n, const char *what,
                        const char *expected, struct conf_err *e)
{
    if (n->kind != CONF_SCALAR)
        return conf_errf(e, &n->pos, "'%s' must be %s, got %s", what,
                         expected, conf_kind_name(n->kind));
    if (n->quoted)
        return conf_errf(e, &n->pos, "'%s' must be %s, got a quoted string",
                         what, expected);
    if (conf_is_null(n))
        return conf_errf(e, &n->pos, "'%s' has no value (expected %s)", what,
                         expected);
    return 0;
}

int conf_u64(const struct conf_node *n, const char *what, uint64_t min,
             uint64_t max, uint64_t *out, struct conf_err *e)
{
    const char *t;
    uint64_t v = 0;
    char q[64];
    if (plain_scalar(n, what, "an integer", e))
        return -1;
    t = n->text;
    conf_quote(t, q, sizeof q);
    if (t[0] == '-' && isdigit((unsigned char)t[1]))
        return conf_errf(e, &n->pos, "'%s' must not be negative, got '%s'",
                         what, q);
    if (t[strspn(t, "0123456789")] != '\0')
        return conf_errf(e, &n->pos, "'%s' must be an integer, got '%s'", what, q);
    if (t[0] == '0' && t[1])
        return conf_errf(e, &n->pos,
                         "'%s' must not have leading zeros, got '%s'", what, q);
    for (; *t; t++) {
        unsigned d = (unsigned)(*t - '0');
        if (v > (UINT64_MAX - d) / 10)
            return conf_errf(e, &n->pos,
                             "'%s' is out of range: '%s' does not fit in 64 bits",
                             what, q);
        v = v * 10 + d;
    }
    if (v < min && max >= UINT_MAX)
        return conf_errf(e, &n->pos, "'%s' must be at least %" PRIu64
                         ", got %" PRIu64, what, min, v);
    if (v < min || v > max)
        return conf_errf(e, &n->pos,
                         "'%s' must be between %" PRIu64 " and %" PRIu64
                         ", got %" PRIu64, what, min, max, v);
    *out = v;
    return 0;
}

int conf_uint(const struct conf_node *n, const char *what, unsigned min,
              unsigned max, unsigned *out, struct conf_err *e)
{
    uint64_t v;
    if (conf_u64(n, what, min, max, &v, e))
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Seconds per unit letter, 0 for an unknown one. */
static uint64_t unit_s(char u)
{
    switch (u) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    default: return 0;
    }
}

int conf_duration(const struct conf_node *n, const char *what, uint64_t min_s,
                  uint64_t max_s, uint64_t *out_ms, struct conf_err *e)
{
    const char *t;
    size_t digits;
    uint64_t v = 0, per;
    char q[64];
    if (plain_scalar(n, what, "a duration", e))
        return -1;
    t = n->text;
    conf_quote(t, q, sizeof q);
    digits = strspn(t, "0123456789");
    if (digits == 0 || digits > 9 || !(per = unit_s(t[digits])) || t[digits + 1] != '\0' ||
        (t[0] == '0' && digits > 1))
        return conf_errf(e, &n->pos, "'%s' must be a duration: an integer and one of "
                         "s, m, h, d (e.g. 168h, 7d), got '%s'", what, q);
    for (; t < n->text + digits; t++)
        v = v * 10 + (uint64_t)(*t - '0');
    v *= per;
    if (v < min_s || v > max_s)
        return conf_errf(e, &n->pos, "'%s' must be between %" PRIu64 "s and %" PRIu64
                         "s, got '%s'", what, min_s, max_s, q);
    *out_ms = v * 1000u;
    return 0;
}

int conf_bool(const struct conf_node *n, const char *what, int *out,
              struct conf_err *e)
{
    const char *t;
    char q[64];
    if (plain_scalar(n, what, "true or false", e))
        return -1;
    t = n->text;
    if (!strcasecmp(t, "true") || !strcasecmp(t, "yes"))
        *out = 1;
    else if (!strcasecmp(t, "false") || !strcasecmp(t, "no"))
        *out = 0;
    else
        return conf_errf(e, &n->pos,
                         "'%s' must be true or false (or yes/no), got '%s'",
                         what, conf_quote(t, q, sizeof q));
    return 0;
}

int conf_str(const struct conf_node *n, const char *what, char **out,
             struct conf_err *e)
{
    if (n->kind != CONF_SCALAR)
        return conf_errf(e, &n->pos, "'%s' must be a string, got %s", what,
                         conf_kind_name(n->kind));
    if (conf_is_null(n))
        return conf_errf(e, &n->pos, "'%s' has no value (expected a string)",
                         what);
    if (!*n->text)
        return conf_errf(e, &n->pos, "'%s' must not be empty", what);
    *out = strdup(n->text);
    if (!*out)
        return conf_errf(e, &n->pos, "out of memory");
    return 0;
}

static int valid_port(const char *p)
{
    unsigned long v = 0;
    size_t i;
    if (!*p || p[strspn(p, "0123456789")] != '\0' || strlen(p) > 5)
        return 0;
    for (i = 0; p[i]; i++)
        v = v * 10 + (unsigned long)(p[i] - '0');
    return v >= 1 && v <= 65535;
}

static int host_chars_ok(const char *h, size_t len, const char *extra)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr(extra, h[i]))
            return 0;
    return 1;
}

const char *conf_address_problem(const char *s)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return "unterminated or empty '[IPv6]' host";
        if (!memchr(s + 1, ':', (size_t)(close - s - 1)) ||
            !host_chars_ok(s + 1, (size_t)(close - s - 1), ":.%"))
            return "bad IPv6 host";
        if (close[1] != ':')
            return "missing ':port'";
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return "missing ':port'";
        if (colon == s)
            return "empty host";
        if (memchr(s, ':', (size_t)(colon - s)))
            return "IPv6 hosts must be written in brackets, e.g. [::1]:7101";
        if (!host_chars_ok(s, (size_t)(colon - s), ".-_"))
            return "bad character in host";
    }
    if (!valid_port(colon + 1))
        return "port must be a number in 1..65535";
    return NULL;
}

int conf_address(const struct conf_node *n, const char *what, char **out,
                 struct conf_err *e)
{
    const char *why;
    char q[64];
    if (conf_str(n, what, out, e))
        return -1;
    why = conf_address_problem(*out);
    if (!why)
        return 0;
    conf_errf(e, &n->pos, "'%s' is not a valid host:port address (%s): '%s'",
              what, why, conf_quote(*out, q, sizeof q));
    free(*out);
    *out = NULL;
    return -1;
}

/* "a, b, c" from a NULL-terminated list. */
static void join(const char *const *list, char *buf, size_t len)
{
    size_t used = 0, i;
    buf[0] = '\0';
    for (i = 0; list[i] && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

int conf_keys(const struct conf_node *map, const char *what,
              const char *const *allowed, struct conf_err *e)
{
    char list[256], q[64];
    size_t i, j;
    for (i = 0; i + 1 < map->n; i += 2) {
        const struct conf_node *k = map->items[i];
        for (j = 0; allowed[j] && strcmp(allowed[j], k->text); j++)
            ;
        if (allowed[j])
            continue;
        join(allowed, list, sizeof list);
        conf_quote(k->text, q, sizeof q);
        if (!what)
            return conf_errf(e, &k->pos, "unknown top-level key '%s' (expected: %s)",
                             q, list);
        return conf_errf(e, &k->pos, "unknown key '%s' in '%s' (expected: %s)",
                         q, what, list);
    }
    return 0;
}
