/* SPDX-License-Identifier: MIT */
/*
 * http_query.c — owns query-string parsing for admin-http (see
 * http_query.h): split at '&', decode each name and value strictly, look
 * the name up in the route's accepted list, refuse repeats, and let the
 * parameter's checker judge the value. Every refusal names the
 * parameter, printed safely (hostile bytes become \xNN, long names are
 * cut), in the route's message buffer.
 */
#include "http_query.h"
#include "http_errors.h"
#include "http_routes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_PARAMS 16        /* per route; checked when a list is longer */
#define NAME_SHOWN 40        /* bytes of a refused name put in a message */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long skv_http_pct_decode(const char *in, size_t n, char *out, int plus_space)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval((unsigned char)in[i + 1]);
            lo = hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    return (long)o;
}

/* name[0..n) as printable ASCII into dst (room for len), quoted. */
static void shown(const char *name, size_t n, char *dst, size_t len)
{
    size_t i, o = 0;
    if (len < 8)
        return;
    dst[o++] = '\'';
    for (i = 0; i < n && i < NAME_SHOWN && o + 6 < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= ' ' && c <= '~' && c != '\\' && c != '\'')
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, len - o, "\\x%02x", c);
    }
    if (i < n && o + 4 < len) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o++] = '\'';
    dst[o] = '\0';
}

static int refuse(struct skv_http_route *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(struct skv_http_route *out, const char *fmt, ...)
{
    const struct skv_http_err_info *e = skv_http_err_info(SKV_HTTP_ErrBadRequest);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->msgbuf, sizeof out->msgbuf, fmt, ap);
    va_end(ap);
    out->status = (int)e->status;
    out->error = e->name;
    out->message = out->msgbuf;
    out->op = NULL;
    out->arg = NULL;
    out->arg_len = 0;
    return out->status;
}

/* "a, b" of the accepted names into dst, or "none". */
static void accepted_list(const struct skv_http_param *const *acc, char *dst,
                          size_t len)
{
    size_t o = 0, i;
    dst[0] = '\0';
    for (i = 0; acc && acc[i] && o < len; i++)
        o += (size_t)snprintf(dst + o, len - o, "%s%s", i ? ", " : "",
                              acc[i]->name);
    if (!acc || !acc[0])
        snprintf(dst, len, "none");
}

static int unknown(struct skv_http_route *out, const char *name, size_t n,
                   const struct skv_http_param *const *acc, const char *what)
{
    char nm[4 * NAME_SHOWN + 8], list[160];
    shown(name, n, nm, sizeof nm);
    accepted_list(acc, list, sizeof list);
    return refuse(out, "unknown query parameter %s: %s accepts %s", nm, what,
                  list);
}

/* One "name[=value]" pair at target[i..end). */
static int take_pair(const char *target, size_t i, size_t end, char *scratch,
                     const struct skv_http_param *const *acc, const char *what,
                     unsigned *seen, struct skv_http_route *out)
{
    const char *eq = memchr(target + i, '=', end - i);
    size_t nend = eq ? (size_t)(eq - target) : end, k;
    long nl = skv_http_pct_decode(target + i, nend - i, scratch + i, 1), vl = 0;
    const char *why;
    char nm[4 * NAME_SHOWN + 8];

    if (nl < 0) {
        shown(target + i, nend - i, nm, sizeof nm);
        return refuse(out, "query parameter %s: malformed percent-encoding in its name", nm);
    }
    for (k = 0; acc && acc[k]; k++)
        if (strlen(acc[k]->name) == (size_t)nl &&
            memcmp(acc[k]->name, scratch + i, (size_t)nl) == 0)
            break;
    if (!acc || !acc[k])
        return unknown(out, scratch + i, (size_t)nl, acc, what);
    if (*seen & (1u << k))
        return refuse(out, "query parameter '%s' given more than once", acc[k]->name);
    *seen |= 1u << k;
    if (eq && (vl = skv_http_pct_decode(eq + 1, end - nend - 1, scratch + nend + 1, 1)) < 0)
        return refuse(out, "query parameter '%s': malformed percent-encoding in its value",
                      acc[k]->name);
    why = acc[k]->take(scratch + nend + 1, (size_t)vl, eq != NULL, out);
    if (why)
        return refuse(out, "query parameter '%s': %s", acc[k]->name, why);
    return 0;
}

int skv_http_query_parse(const char *target, size_t qoff, size_t n,
                         char *scratch,
                         const struct skv_http_param *const *accepted,
                         const char *what, struct skv_http_route *out)
{
    unsigned seen = 0;
    size_t i = qoff, count = 0;
    while (accepted && accepted[count])
        count++;
    if (count > MAX_PARAMS)
        return refuse(out, "%s: too many parameters in the route table", what);
    while (i < n) {
        const char *amp = memchr(target + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - target) : n;
        if (end > i && take_pair(target, i, end, scratch, accepted, what, &seen, out))
            return out->status;
        i = end + 1;
    }
    return 0;
}
