/* SPDX-License-Identifier: MIT */
/*
 * raft_conf.c — bounds-checked decoder for C-Raft's configuration
 * encoding (see raft_conf.h). Used to read snapshot metadata and to
 * validate RAFT_CHANGE entries before C-Raft (which asserts) sees them.
 */
#include "raftio/raft_conf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CONF_FORMAT 1
#define CONF_SERVER_MIN 10u /* u64 id + NUL + u8 role */

__attribute__((format(printf, 4, 5))) static int
conf_fail(struct raft_configuration *c, char *errmsg, size_t errlen,
          const char *fmt, ...)
{
    va_list ap;
    raft_configuration_close(c);
    raft_configuration_init(c);
    if (errmsg && errlen) {
        va_start(ap, fmt);
        vsnprintf(errmsg, errlen, fmt, ap);
        va_end(ap);
    }
    return RAFT_MALFORMED;
}

static uint64_t conf_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Decode one server at *off; advances *off. */
static int conf_server(const uint8_t *p, size_t len, size_t *off,
                       struct raft_configuration *c, unsigned i,
                       char *errmsg, size_t errlen)
{
    const uint8_t *nul;
    uint64_t id;
    size_t alen;
    int role, rv;

    if (len - *off < CONF_SERVER_MIN)
        return conf_fail(c, errmsg, errlen, "configuration: server %u truncated", i);
    id = conf_u64(p + *off);
    *off += 8;
    nul = memchr(p + *off, 0, len - *off);
    if (!nul)
        return conf_fail(c, errmsg, errlen, "configuration: server %u address not terminated", i);
    alen = (size_t)(nul - (p + *off));
    if ((size_t)(nul - p) + 1 >= len)
        return conf_fail(c, errmsg, errlen, "configuration: server %u role missing", i);
    role = p[*off + alen + 1];
    if (id == 0)
        return conf_fail(c, errmsg, errlen, "configuration: server %u has id 0", i);
    if (role != RAFT_STANDBY && role != RAFT_VOTER && role != RAFT_SPARE)
        return conf_fail(c, errmsg, errlen, "configuration: server %u has bad role %d", i, role);
    rv = raft_configuration_add(c, id, (const char *)(p + *off), role);
    if (rv == RAFT_NOMEM) {
        conf_fail(c, errmsg, errlen, "configuration: out of memory");
        return RAFT_NOMEM;
    }
    if (rv != 0)
        return conf_fail(c, errmsg, errlen, "configuration: server %u (id %llu): %s",
                         i, (unsigned long long)id, raft_strerror(rv));
    *off += alen + 2;
    return 0;
}

int skv_raft_conf_decode(const void *buf, size_t len,
                         struct raft_configuration *out, char *errmsg,
                         size_t errlen)
{
    const uint8_t *p = buf;
    uint64_t n;
    size_t off = 9;
    int rv;

    raft_configuration_init(out);
    if (!p || len < 9)
        return conf_fail(out, errmsg, errlen, "configuration: %zu bytes is too short", len);
    if (p[0] != CONF_FORMAT)
        return conf_fail(out, errmsg, errlen, "configuration: unknown format %u", p[0]);
    n = conf_u64(p + 1);
    if (n == 0 || n > (len - 9) / CONF_SERVER_MIN)
        return conf_fail(out, errmsg, errlen,
                         "configuration: server count %llu does not fit in %zu bytes",
                         (unsigned long long)n, len);
    for (unsigned i = 0; i < n; i++)
        if ((rv = conf_server(p, len, &off, out, i, errmsg, errlen)) != 0)
            return rv;
    /* C-Raft pads to 8 bytes and leaves the padding uninitialised. */
    if (len - off >= 8)
        return conf_fail(out, errmsg, errlen, "configuration: %zu trailing bytes", len - off);
    return 0;
}
