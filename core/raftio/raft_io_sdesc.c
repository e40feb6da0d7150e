/* SPDX-License-Identifier: MIT */
/*
 * raft_io_sdesc.c — owns the descriptors of snapshots that are sent
 * STREAMED from a storage view. C-Raft 0.15 takes a snapshot to send as
 * one buffer (snapshot_get) and passes that buffer to send; a big store's
 * full snapshot expanded into one buffer cost the leader memory the size
 * of the data set. Instead, a snapshot whose full form exceeds
 * SKV_RIO_XFER_CHUNK reaches C-Raft as a 24-byte descriptor ("SKVSEND1" +
 * a random token) that keeps the view pinned; the send of an
 * InstallSnapshot carrying it (raft_io_xfer.c) streams the full form from
 * the view chunk by chunk. Which one it is is decided by making the first
 * chunk (a small full form is then complete); the size of a big one is
 * known only when its last chunk is made, so the view is read once per
 * send, never once more just to size it. A descriptor serves one send
 * and is released when that send ends (or fails), or after
 * SKV_RIO_SDESC_TTL_MS if C-Raft
 * never sends it (it lost leadership meanwhile); descriptors are never
 * sent to a peer, and one from a peer is refused (raft_io_xin.c).
 */
#include "raftio/raft_io_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char magic[8] = {'S', 'K', 'V', 'S', 'E', 'N', 'D', '1'};

int skv_rio_is_sdesc(const void *data, size_t len)
{
    return data && len == SKV_RIO_SDESC_LEN && memcmp(data, magic, sizeof magic) == 0;
}

/* Worker: the first chunk of the full form. 0 when it is the whole of it
 * (then it replaces data), 2 when more follows (stream it), 1 (data is
 * full already), or a RAFT_* code. One pass over the view either way. */
static int first_chunk(struct skv_rio *rio, void *pin, struct raft_buffer *data, char *errmsg,
                       size_t errlen)
{
    const struct skv_raftio_env *env = &rio->env;
    void *it = NULL;
    uint8_t *buf;
    size_t n = 0;
    int last = 0, rc = env->snap_open(env->snap_arg, pin, data, &it, errmsg, errlen);
    if (rc != 0)
        return rc;
    if (!(buf = raft_malloc(SKV_RIO_XFER_CHUNK))) {
        env->snap_close(it);
        snprintf(errmsg, errlen, "snapshot get: out of memory");
        return RAFT_NOMEM;
    }
    rc = env->snap_next(it, buf, SKV_RIO_XFER_CHUNK, &n, &last, errmsg, errlen);
    env->snap_close(it);
    if (rc == 0 && last) {
        raft_free(data->base);
        data->base = buf;
        data->len = n;
        return 0;
    }
    raft_free(buf);
    return rc != 0 ? rc : 2;
}

int skv_rio_sdesc_plan(struct skv_rio *rio, void *pin, struct raft_buffer *data,
                       char *errmsg, size_t errlen)
{
    const struct skv_raftio_env *env = &rio->env;
    struct raft_buffer full = {NULL, 0};
    int rc;
    if (env->snap_open && env->snap_next && env->snap_close) {
        rc = first_chunk(rio, pin, data, errmsg, errlen);
        return rc == 1 ? 0 : rc;
    }
    if (!env->snap_expand)
        return 0;
    rc = env->snap_expand(env->snap_arg, pin, data, &full, errmsg, errlen);
    if (rc == 1)
        return 0;
    if (rc == 0) {
        raft_free(data->base);
        *data = full;
    }
    return rc;
}

int skv_rio_sdesc_issue(struct skv_rio *rio, void *pin, struct raft_buffer *data)
{
    struct skv_rio_sdesc *sd = calloc(1, sizeof *sd);
    uint8_t *d = raft_malloc(SKV_RIO_SDESC_LEN);
    if (!sd || !d || getrandom(sd->token, sizeof sd->token, 0) != (ssize_t)sizeof sd->token) {
        free(sd);
        raft_free(d);
        return RAFT_NOMEM;
    }
    memcpy(d, magic, sizeof magic);
    memcpy(d + sizeof magic, sd->token, sizeof sd->token);
    sd->pin = pin;
    sd->stored = *data;
    sd->issued_ms = uv_now(rio->env.loop);
    sd->next = rio->sdescs;
    rio->sdescs = sd;
    data->base = d;
    data->len = SKV_RIO_SDESC_LEN;
    return 0;
}

struct skv_rio_sdesc *skv_rio_sdesc_claim(struct skv_rio *rio, const struct raft_buffer *data)
{
    struct skv_rio_sdesc *sd;
    if (skv_rio_is_sdesc(data->base, data->len))
        for (sd = rio->sdescs; sd; sd = sd->next)
            if (!sd->sending &&
                memcmp(sd->token, (const uint8_t *)data->base + sizeof magic, 16) == 0) {
                sd->sending = 1;
                return sd;
            }
    skv_rio_logf(rio, SKV_LOG_WARN, "raft: a snapshot send names no live local snapshot "
                 "descriptor (expired or already sent): not sent");
    return NULL;
}

void skv_rio_sdesc_release(struct skv_rio *rio, struct skv_rio_sdesc *sd)
{
    struct skv_rio_sdesc **pp;
    for (pp = &rio->sdescs; *pp && *pp != sd; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = sd->next;
    if (rio->env.snap_unpin)
        rio->env.snap_unpin(rio->env.snap_arg, sd->pin, 0);
    raft_free(sd->stored.base);
    free(sd);
}

void skv_rio_sdesc_expire(struct skv_rio *rio, int all)
{
    uint64_t now = uv_now(rio->env.loop);
    struct skv_rio_sdesc *sd = rio->sdescs, *next;
    for (; sd; sd = next) {
        next = sd->next;
        if (!sd->sending && (all || now - sd->issued_ms > SKV_RIO_SDESC_TTL_MS))
            skv_rio_sdesc_release(rio, sd);
    }
}
