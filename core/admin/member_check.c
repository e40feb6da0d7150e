/* SPDX-License-Identifier: MIT */
/*
 * member_check.c — validation of membership requests before any change
 * is proposed (see member_check.h). Messages name the offending field.
 */
#include "admin/member_check.h"
#include "admin/member_addr.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *skv_member_role_name(int role)
{
    switch (role) {
    case RAFT_VOTER: return "voter";
    case RAFT_STANDBY: return "standby";
    case RAFT_SPARE: return "spare";
    default: return "unknown";
    }
}

static int fail(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The body's three fields, types checked; unknown keys refused. */
static int unpack(json_t *j, json_int_t *id, const char **addr, const char **role, char *why,
                  size_t wl)
{
    static const char *const known[] = {"id", "address", "role"};
    const char *key;
    json_t *v, *jid, *jaddr, *jrole;
    size_t i;
    json_object_foreach(j, key, v) {
        for (i = 0; i < 3 && strcmp(key, known[i]) != 0; i++)
            ;
        if (i == 3)
            return fail(why, wl, "%s: unknown field (expected id, address, role)", key);
    }
    jid = json_object_get(j, "id");
    jaddr = json_object_get(j, "address");
    jrole = json_object_get(j, "role");
    if (!jid || !json_is_integer(jid) || json_integer_value(jid) <= 0)
        return fail(why, wl, "id: expected an integer > 0");
    if (!jaddr || !json_is_string(jaddr))
        return fail(why, wl, "address: expected a \"host:port\" string");
    if (jrole && !json_is_string(jrole))
        return fail(why, wl, "role: expected \"voter\" or \"standby\"");
    *id = json_integer_value(jid);
    *addr = json_string_value(jaddr);
    *role = jrole ? json_string_value(jrole) : "voter";
    return 0;
}

static int check_fields(json_int_t id, const char *addr, const char *role,
                        struct skv_member_req *out, char *buf, size_t blen, char *why,
                        size_t wl)
{
    const char *p;
    char q[80];
    if (strcmp(role, "voter") != 0 && strcmp(role, "standby") != 0)
        return fail(why, wl, "role: expected \"voter\" or \"standby\", got \"%.32s\"", role);
    p = skv_member_addr_problem(addr);
    if (p) {
        size_t i;
        snprintf(q, sizeof q, "%.64s%s", addr, strlen(addr) > 64 ? "..." : "");
        for (i = 0; q[i]; i++)   /* echo printable ASCII only */
            if ((unsigned char)q[i] < 0x20 || (unsigned char)q[i] > 0x7e || q[i] == '"')
                q[i] = '?';
        return fail(why, wl, "address: %s: \"%s\"", p, q);
    }
    if (strlen(addr) >= blen)
        return fail(why, wl, "address: too long");
    memcpy(buf, addr, strlen(addr) + 1);
    out->id = (uint64_t)id;
    out->role = strcmp(role, "voter") == 0 ? RAFT_VOTER : RAFT_STANDBY;
    out->address = buf;
    return 0;
}

int skv_member_parse_add(const char *json, struct skv_member_req *out, char *addr_buf,
                         size_t addr_len, char *why, size_t why_len)
{
    json_error_t je;
    json_t *j = json ? json_loads(json, JSON_REJECT_DUPLICATES, &je) : NULL;
    json_int_t id = 0;
    const char *addr = NULL, *role = NULL;
    int rc;
    if (!j || !json_is_object(j)) {
        fail(why, why_len, "body: expected {\"id\":N,\"address\":\"host:port\","
             "\"role\":\"voter\"|\"standby\"}%s%s", j ? "" : ": ", j ? "" : je.text);
        json_decref(j);
        return -1;
    }
    rc = unpack(j, &id, &addr, &role, why, why_len);
    if (rc == 0)
        rc = check_fields(id, addr, role, out, addr_buf, addr_len, why, why_len);
    json_decref(j);
    return rc;
}

int skv_member_parse_id(const uint8_t *arg, size_t len, uint64_t *id)
{
    char buf[24], *end;
    unsigned long long v;
    if (len == 0 || len >= sizeof buf || arg[0] < '1' || arg[0] > '9')
        return -1;
    memcpy(buf, arg, len);
    buf[len] = 0;
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (*end || errno == ERANGE || v == 0)
        return -1;
    *id = (uint64_t)v;
    return 0;
}

const struct raft_server *skv_member_find(const struct raft_configuration *c, uint64_t id)
{
    unsigned i;
    for (i = 0; i < c->n; i++)
        if (c->servers[i].id == id)
            return &c->servers[i];
    return NULL;
}

const struct raft_server *skv_member_find_addr(const struct raft_configuration *c,
                                               const char *address)
{
    unsigned i;
    for (i = 0; i < c->n; i++)
        if (strcmp(c->servers[i].address, address) == 0)
            return &c->servers[i];
    return NULL;
}

unsigned skv_member_voters(const struct raft_configuration *c)
{
    unsigned i, v = 0;
    for (i = 0; i < c->n; i++)
        v += c->servers[i].role == RAFT_VOTER;
    return v;
}
