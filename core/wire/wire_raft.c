/* SPDX-License-Identifier: MIT */
/*
 * wire_raft.c — the SKV_FRAME_RAFT body: every C-Raft 0.15 message
 * (struct raft_message) encoded and decoded, and the release of a decoded
 * message's heap parts. Body = u8 raft type, then (integers LE):
 *
 *   request vote:        u64 term, candidate, last index, last term;
 *                        u8 flags (1 disrupt_leader, 2 pre_vote)
 *   request vote result: u64 term; u8 vote_granted; u8 pre_vote tribool
 *   append entries:      u64 term, prev index, prev term, commit; u32 n;
 *                        n × {u64 term, u8 type, u32 len}; n payloads
 *   append result:       u64 term, rejected, last_log_index
 *   install snapshot:    u64 term, last index, last term, conf index;
 *                        u32 n; n × {u64 id, u8 role, u16 alen, address};
 *                        u64 data_len; data
 *   timeout now:         u64 term, last_log_index, last_log_term
 *
 * Decoding follows C-Raft's recv ownership contract (see wire.h): entries
 * array + ONE batch (never NULL when n > 0), snapshot data (never NULL)
 * and conf, all from raft's heap. Counts are checked against the bytes
 * left before anything is allocated; values (terms, indexes) are checked
 * by wire_bounds.c once the message is decoded.
 */
#include "wire/wire_raft.h"
#include <string.h>
#include "wire/wire_prim.h"

#define WIRE_MAX_SERVERS 1024u /* servers in an InstallSnapshot conf */
#define WIRE_MAX_ADDR 1024u    /* bytes in one server address */
#define WIRE_ENTRY_HDR 13u     /* u64 term + u8 type + u32 len */
#define WIRE_SERVER_MIN 11u    /* u64 id + u8 role + u16 addr_len */
#define WIRE_ALIGN 8u          /* entry payload alignment in the batch */

#define RV_DISRUPT 0x01u /* request vote flags */
#define RV_PREVOTE 0x02u

static size_t align_up(size_t n)
{
    return (n + WIRE_ALIGN - 1) & ~(size_t)(WIRE_ALIGN - 1);
}

static int valid_entry_type(unsigned t)
{
    return t == RAFT_COMMAND || t == RAFT_BARRIER || t == RAFT_CHANGE;
}

static int valid_role(int role)
{
    return role == RAFT_STANDBY || role == RAFT_VOTER || role == RAFT_SPARE;
}

/* The u64 fields every message starts with (after its type byte), in
 * wire order, for the encoder and the decoder alike; what follows them,
 * if anything, is in enc_raft_body's switch and the dec_* functions. */
#define H(member, name) {WF_ULL, offsetof(struct raft_message, member), name}
static const struct raft_head {
    struct wire_field f[4];
    size_t n;
} heads[] = {
    [RAFT_IO_REQUEST_VOTE] = {{H(request_vote.term, "request vote term"),
                               H(request_vote.candidate_id, "request vote candidate"),
                               H(request_vote.last_log_index, "request vote last index"),
                               H(request_vote.last_log_term, "request vote last term")}, 4},
    [RAFT_IO_REQUEST_VOTE_RESULT] = {{H(request_vote_result.term, "vote result term")}, 1},
    [RAFT_IO_APPEND_ENTRIES] = {{H(append_entries.term, "append entries term"),
                                 H(append_entries.prev_log_index, "append entries prev index"),
                                 H(append_entries.prev_log_term, "append entries prev term"),
                                 H(append_entries.leader_commit, "append entries commit")}, 4},
    [RAFT_IO_APPEND_ENTRIES_RESULT] = {{H(append_entries_result.term, "result term"),
                                        H(append_entries_result.rejected, "result rejected"),
                                        H(append_entries_result.last_log_index,
                                          "result last index")}, 3},
    [RAFT_IO_INSTALL_SNAPSHOT] = {{H(install_snapshot.term, "snapshot term"),
                                   H(install_snapshot.last_index, "snapshot last index"),
                                   H(install_snapshot.last_term, "snapshot last term"),
                                   H(install_snapshot.conf_index, "snapshot conf index")}, 4},
    [RAFT_IO_TIMEOUT_NOW] = {{H(timeout_now.term, "timeout now term"),
                              H(timeout_now.last_log_index, "timeout now last index"),
                              H(timeout_now.last_log_term, "timeout now last term")}, 3},
};
#undef H

/* Validate what the encoder will write and compute the body size. */
static int ae_check(const struct raft_append_entries *ae, size_t *size,
                    char *err, size_t errlen)
{
    size_t total = 1 + 4 * 8 + 4;
    if (ae->n_entries && !ae->entries)
        return fail(err, errlen, "append entries: %u entries but no array",
                    ae->n_entries);
    for (unsigned i = 0; i < ae->n_entries; i++) {
        const struct raft_entry *e = &ae->entries[i];
        if (!valid_entry_type(e->type))
            return fail(err, errlen, "append entries: entry %u has type %u",
                        i, e->type);
        if (e->buf.len && !e->buf.base)
            return fail(err, errlen, "append entries: entry %u has no data",
                        i);
        if (e->buf.len > SKV_WIRE_MAX_BODY ||
            total > SKV_WIRE_MAX_BODY - WIRE_ENTRY_HDR - e->buf.len)
            return fail(err, errlen, "append entries: body exceeds %u bytes",
                        SKV_WIRE_MAX_BODY);
        total += WIRE_ENTRY_HDR + e->buf.len;
    }
    *size = total;
    return 0;
}

static int is_check(const struct raft_install_snapshot *is, size_t *size,
                    char *err, size_t errlen)
{
    size_t total = 1 + 4 * 8 + 4 + 8;
    const struct raft_configuration *c = &is->conf;
    if (c->n > WIRE_MAX_SERVERS || (c->n && !c->servers))
        return fail(err, errlen, "install snapshot: bad configuration (%u)",
                    c->n);
    for (unsigned i = 0; i < c->n; i++) {
        const struct raft_server *s = &c->servers[i];
        size_t alen = s->address ? strlen(s->address) : 0;
        if (s->id == 0 || !s->address || alen > WIRE_MAX_ADDR ||
            !valid_role(s->role))
            return fail(err, errlen,
                        "install snapshot: bad server %u in configuration",
                        i);
        total += WIRE_SERVER_MIN + alen;
    }
    if (is->data.len && !is->data.base)
        return fail(err, errlen, "install snapshot: data has no buffer");
    if (is->data.len > SKV_WIRE_MAX_BODY - total)
        return fail(err, errlen, "install snapshot: body exceeds %u bytes",
                    SKV_WIRE_MAX_BODY);
    *size = total + is->data.len;
    return 0;
}

static void enc_append_entries(struct wr *w,
                               const struct raft_append_entries *ae)
{
    put_u32(w, ae->n_entries);
    for (unsigned i = 0; i < ae->n_entries; i++) {
        put_u64(w, ae->entries[i].term);
        put_u8(w, ae->entries[i].type);
        put_u32(w, ae->entries[i].buf.len);
    }
    for (unsigned i = 0; i < ae->n_entries; i++)
        put(w, ae->entries[i].buf.base, ae->entries[i].buf.len);
}

static void enc_install_snapshot(struct wr *w,
                                 const struct raft_install_snapshot *is)
{
    put_u32(w, is->conf.n);
    for (unsigned i = 0; i < is->conf.n; i++) {
        const struct raft_server *s = &is->conf.servers[i];
        size_t alen = strlen(s->address);
        put_u64(w, s->id);
        put_u8(w, (uint64_t)s->role);
        put_u16(w, alen);
        put(w, s->address, alen);
    }
    put_u64(w, is->data.len);
    put(w, is->data.base, is->data.len);
}

/* m->type is one of the six (checked by the caller). */
static void enc_raft_body(struct wr *w, const struct raft_message *m)
{
    put_u8(w, m->type);
    put_fields(w, m, heads[m->type].f, heads[m->type].n);
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE:
        put_u8(w, (m->request_vote.disrupt_leader ? RV_DISRUPT : 0) |
                      (m->request_vote.pre_vote ? RV_PREVOTE : 0));
        break;
    case RAFT_IO_REQUEST_VOTE_RESULT:
        put_u8(w, m->request_vote_result.vote_granted ? 1 : 0);
        put_u8(w, (uint64_t)m->request_vote_result.pre_vote);
        break;
    case RAFT_IO_APPEND_ENTRIES:
        enc_append_entries(w, &m->append_entries);
        break;
    case RAFT_IO_INSTALL_SNAPSHOT:
        enc_install_snapshot(w, &m->install_snapshot);
        break;
    default: /* the head is the whole message */
        break;
    }
}

int skv_wire_encode_raft(struct skv_buf *out, uint64_t from_id,
                         const struct raft_message *m, char *err,
                         size_t errlen)
{
    return skv_wire_encode_raft_from(out, from_id, NULL, m, err, errlen);
}

int skv_wire_encode_raft_from(struct skv_buf *out, uint64_t from_id,
                              const char *from_address,
                              const struct raft_message *m, char *err,
                              size_t errlen)
{
    struct wr w;
    struct skv_slice addr = {(const uint8_t *)from_address,
                             from_address ? strlen(from_address) : 0};
    size_t size = 64;
    if (addr.len > SKV_WIRE_MAX_ADDRESS)
        return fail(err, errlen, "encode raft: sender address too long");
    size += addr.len;
    if (!m)
        return fail(err, errlen, "encode raft: no message");
    if (m->type == RAFT_IO_APPEND_ENTRIES) {
        if (ae_check(&m->append_entries, &size, err, errlen) != 0)
            return -1;
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        if (is_check(&m->install_snapshot, &size, err, errlen) != 0)
            return -1;
    } else if (m->type < RAFT_IO_APPEND_ENTRIES ||
               m->type > RAFT_IO_TIMEOUT_NOW) {
        return fail(err, errlen, "encode raft: unknown message type %u",
                    m->type);
    } else if (m->type == RAFT_IO_REQUEST_VOTE_RESULT &&
               (unsigned)m->request_vote_result.pre_vote >
                   raft_tribool_false) {
        return fail(err, errlen, "encode raft: bad pre_vote value");
    }
    if (wr_begin(&w, out, SKV_FRAME_RAFT, from_id, size) != 0)
        return fail(err, errlen, !out      ? "encode raft: no output buffer"
                                 : from_id ? "encode raft: out of memory"
                                           : "encode raft: from_id is 0");
    put_slice(&w, &addr);
    enc_raft_body(&w, m);
    if (wr_finish(&w) != 0)
        return fail(err, errlen, "encode raft: out of memory");
    return 0;
}

static int dec_request_vote(struct rd *r, struct raft_request_vote *rv)
{
    uint8_t flags;
    if (rd_u8(r, &flags, "request vote flags"))
        return -1;
    if (flags & ~(RV_DISRUPT | RV_PREVOTE))
        return fail(r->err, r->errlen, "request vote: unknown flags 0x%02x",
                    flags);
    rv->disrupt_leader = (flags & RV_DISRUPT) != 0;
    rv->pre_vote = (flags & RV_PREVOTE) != 0;
    return 0;
}

static int dec_request_vote_result(struct rd *r,
                                   struct raft_request_vote_result *res)
{
    uint8_t granted, pre;
    if (rd_u8(r, &granted, "vote result granted") ||
        rd_u8(r, &pre, "vote result pre_vote"))
        return -1;
    if (granted > 1 || pre > raft_tribool_false)
        return fail(r->err, r->errlen, "vote result: bad flag values");
    res->vote_granted = granted != 0;
    res->pre_vote = (raft_tribool)pre;
    return 0;
}

/* First pass over the entry headers: validate types and check that the
 * payload lengths add up to exactly the bytes left; no allocation. */
static int ae_scan(struct rd *r, uint32_t n, size_t *batch_size)
{
    size_t hdrs = (size_t)n * WIRE_ENTRY_HDR;
    size_t avail = rd_left(r) - hdrs, raw = 0, padded = 0;
    const uint8_t *h = r->p + r->off;
    for (uint32_t i = 0; i < n; i++, h += WIRE_ENTRY_HDR) {
        uint32_t len = (uint32_t)h[9] | (uint32_t)h[10] << 8 |
                       (uint32_t)h[11] << 16 | (uint32_t)h[12] << 24;
        if (!valid_entry_type(h[8]))
            return fail(r->err, r->errlen, "append entries: entry %u has "
                        "unknown type %u", i, h[8]);
        if (len > avail - raw)
            return fail(r->err, r->errlen, "append entries: entry %u length "
                        "%u runs past the end of the frame", i, len);
        raw += len;
        padded += align_up(len);
    }
    if (raw != avail)
        return fail(r->err, r->errlen, "append entries: %zu trailing bytes "
                    "after the entry payloads", avail - raw);
    *batch_size = padded;
    return 0;
}

/* Second pass: fill the raft_malloc'd array and the single batch. */
static void ae_fill(struct rd *r, struct raft_entry *entries, uint32_t n,
                    uint8_t *batch)
{
    const uint8_t *h = r->p + r->off;
    const uint8_t *data = h + (size_t)n * WIRE_ENTRY_HDR;
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++, h += WIRE_ENTRY_HDR) {
        struct raft_entry *e = &entries[i];
        uint64_t term = 0;
        for (int k = 0; k < 8; k++)
            term |= (uint64_t)h[k] << (8 * k);
        e->term = term;
        e->type = h[8];
        e->buf.len = (size_t)h[9] | (size_t)h[10] << 8 |
                     (size_t)h[11] << 16 | (size_t)h[12] << 24;
        e->buf.base = e->buf.len ? batch + at : NULL;
        e->batch = batch;
        if (e->buf.len)
            memcpy(batch + at, data, e->buf.len);
        data += e->buf.len;
        at += align_up(e->buf.len);
    }
    r->off = r->len;
}

static int dec_append_entries(struct rd *r, struct raft_append_entries *ae)
{
    uint32_t n;
    size_t batch_size = 0;
    uint8_t *batch;
    if (rd_u32(r, &n, "append entries count"))
        return -1;
    if (n == 0)
        return 0; /* entries NULL; trailing bytes caught by the caller */
    if (n > rd_left(r) / WIRE_ENTRY_HDR)
        return fail(r->err, r->errlen, "append entries: %u entries cannot "
                    "fit in the %zu bytes left", n, rd_left(r));
    if (ae_scan(r, n, &batch_size) != 0)
        return -1;
    ae->entries = raft_calloc(n, sizeof *ae->entries);
    batch = raft_malloc(batch_size ? batch_size : 1); /* never NULL batch */
    if (!ae->entries || !batch) {
        raft_free(ae->entries);
        raft_free(batch);
        ae->entries = NULL;
        return fail(r->err, r->errlen, "append entries: out of memory");
    }
    ae_fill(r, ae->entries, n, batch);
    ae->n_entries = n;
    return 0;
}

static int dec_server(struct rd *r, struct raft_configuration *c, unsigned i)
{
    char addr[WIRE_MAX_ADDR + 1];
    uint64_t id;
    uint8_t role;
    uint16_t alen;
    int rv;
    if (rd_u64(r, &id, "server id") || rd_u8(r, &role, "server role") ||
        rd_u16(r, &alen, "server address length") ||
        rd_need(r, alen, "server address"))
        return -1;
    if (id == 0 || !valid_role(role) || alen > WIRE_MAX_ADDR ||
        memchr(r->p + r->off, 0, alen))
        return fail(r->err, r->errlen,
                    "install snapshot: bad server %u in configuration", i);
    memcpy(addr, r->p + r->off, alen);
    addr[alen] = '\0';
    r->off += alen;
    rv = raft_configuration_add(c, id, addr, role);
    if (rv != 0)
        return fail(r->err, r->errlen, "install snapshot: server %u: %s", i,
                    raft_strerror(rv));
    return 0;
}

static int dec_install_snapshot(struct rd *r, struct raft_install_snapshot *is)
{
    uint32_t n;
    uint64_t dlen;
    if (rd_u32(r, &n, "snapshot server count"))
        return -1;
    if (n > WIRE_MAX_SERVERS || n > rd_left(r) / WIRE_SERVER_MIN)
        return fail(r->err, r->errlen, "install snapshot: %u servers cannot "
                    "fit in the %zu bytes left", n, rd_left(r));
    raft_configuration_init(&is->conf);
    for (uint32_t i = 0; i < n; i++)
        if (dec_server(r, &is->conf, i) != 0)
            goto err;
    if (rd_u64(r, &dlen, "snapshot data length"))
        goto err;
    if (dlen != rd_left(r)) {
        fail(r->err, r->errlen, "install snapshot: data length %llu but "
             "%zu bytes left", (unsigned long long)dlen, rd_left(r));
        goto err;
    }
    is->data.base = raft_malloc(dlen ? dlen : 1); /* never NULL base */
    if (!is->data.base) {
        fail(r->err, r->errlen, "install snapshot: out of memory");
        goto err;
    }
    if (dlen)
        memcpy(is->data.base, r->p + r->off, dlen);
    is->data.len = dlen;
    r->off += dlen;
    return 0;
err:
    raft_configuration_close(&is->conf);
    raft_configuration_init(&is->conf);
    return -1;
}

static int decode_body(struct rd *r, struct raft_message *m, uint64_t from_id)
{
    uint8_t type;
    if (rd_u8(r, &type, "raft message type"))
        return -1;
    m->type = type;
    m->server_id = from_id;
    m->server_address = NULL; /* the raft_io adapter fills it in */
    if (type < RAFT_IO_APPEND_ENTRIES || type > RAFT_IO_TIMEOUT_NOW) {
        m->type = 0; /* nothing to free */
        return fail(r->err, r->errlen, "unknown raft message type %u", type);
    }
    if (rd_fields(r, m, heads[type].f, heads[type].n) != 0)
        return -1;
    switch (type) {
    case RAFT_IO_REQUEST_VOTE:
        return dec_request_vote(r, &m->request_vote);
    case RAFT_IO_REQUEST_VOTE_RESULT:
        return dec_request_vote_result(r, &m->request_vote_result);
    case RAFT_IO_APPEND_ENTRIES:
        return dec_append_entries(r, &m->append_entries);
    case RAFT_IO_INSTALL_SNAPSHOT:
        return dec_install_snapshot(r, &m->install_snapshot);
    default: /* the head is the whole message */
        return 0;
    }
}

int wire_raft_decode(struct rd *r, struct raft_message *m, uint64_t from_id)
{
    if (decode_body(r, m, from_id) != 0)
        return -1;
    return wire_raft_check(m, from_id, r->err, r->errlen);
}

void skv_wire_raft_message_free(struct raft_message *m)
{
    if (!m)
        return;
    if (m->type == RAFT_IO_APPEND_ENTRIES) {
        struct raft_append_entries *ae = &m->append_entries;
        void *last = NULL;
        for (unsigned i = 0; ae->entries && i < ae->n_entries; i++) {
            struct raft_entry *e = &ae->entries[i];
            if (!e->batch)
                raft_free(e->buf.base);
            else if (e->batch != last)
                raft_free(last = e->batch);
        }
        raft_free(ae->entries);
        ae->entries = NULL;
        ae->n_entries = 0;
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        struct raft_install_snapshot *is = &m->install_snapshot;
        raft_configuration_close(&is->conf);
        raft_configuration_init(&is->conf);
        raft_free(is->data.base);
        is->data.base = NULL;
        is->data.len = 0;
    }
}
