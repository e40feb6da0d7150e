/* SPDX-License-Identifier: MIT */
/*
 * backup.c — owns the backup sessions (backup.h): open (a storage view of
 * the applied state, the manifest, the encryption record), read (the next
 * piece of the backup file, hashed once, or the last piece again), close,
 * idle expiry and release at shutdown.
 */
#include "admin/backup.h"
#include "admin/admin_ops.h"
#include "crypto/purpose.h"
#include "fsm/backup_file.h"
#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_stream.h"
#include "fsm/snap_view.h"
#include "node/node.h"
#include "util/buf.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct skv_backup_sess {
    struct skv_backup_sess *next;
    uint64_t id;                   /* random, 1..2^53-1 */
    struct skv_snap_view *view;    /* a reference in n->fsm.views */
    struct skv_snap_stream *stream;
    crypto_generichash_state hash; /* every byte before the trailer */
    struct skv_buf piece;          /* the last piece answered */
    uint64_t piece_off;            /* its offset in the file */
    uint64_t snap_len;             /* snapshot bytes produced */
    char *head;                    /* manifest, until the first piece */
    int ended;                     /* the trailer was produced */
    uint64_t last_ms;
};

void skv_backups_init(struct skv_backups *b)
{
    memset(b, 0, sizeof *b);
}

static void sess_free(struct skv_node *n, struct skv_backup_sess *s)
{
    skv_snap_stream_close(s->stream);
    if (s->view)
        skv_snap_views_unpin(&n->fsm.views, s->view);
    skv_buf_free(&s->piece);
    free(s->head);
    free(s);
}

static void sess_drop(struct skv_node *n, struct skv_backup_sess *s)
{
    struct skv_backup_sess **pp;
    for (pp = &n->backups.head; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            n->backups.n--;
            break;
        }
    sess_free(n, s);
}

void skv_backups_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_backup_sess *s = n->backups.head, *next;
    for (; s; s = next) {
        next = s->next;
        if (now_ms - s->last_ms >= SKV_BACKUP_IDLE_MS) {
            skv_node_log(n, SKV_LOG_INFO, "backup %llu: idle for %u ms, ended",
                         (unsigned long long)s->id, SKV_BACKUP_IDLE_MS);
            sess_drop(n, s);
        }
    }
}

void skv_backups_fail_all(struct skv_node *n)
{
    while (n->backups.head)
        sess_drop(n, n->backups.head);
}

static struct skv_backup_sess *find(struct skv_node *n, const struct skv_op *op)
{
    struct skv_backup_sess *s;
    char buf[24];
    unsigned long long id;
    char *end;
    if (!op->arg || op->arg_len == 0 || op->arg_len >= sizeof buf)
        return NULL;
    memcpy(buf, op->arg, op->arg_len);
    buf[op->arg_len] = '\0';
    id = strtoull(buf, &end, 10);
    if (*end != '\0')
        return NULL;
    for (s = n->backups.head; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

/* The manifest (fsm/backup_file.h): where the view is and which keys the
 * restored nodes need. */
static json_t *manifest(struct skv_node *n, uint64_t index)
{
    const struct skv_sidecar *sc = &n->enc.sc;
    json_t *keys = json_array(), *o;
    size_t i;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (i = 0; keys && n->enc.sc_present && i < sc->n_keys; i++)
        if (!sc->keys[i].dropped)   /* a retired key's tombstone: no DEK */
            json_array_append_new(
            keys, json_pack("{s:I,s:s,s:s,s:s}", "key_id", (json_int_t)sc->keys[i].key_id,
                            "purpose",
                            sc->keys[i].purpose == SKV_PURPOSE_RAFT ? "raft" : "storage",
                            "kek_id", sc->keys[i].kek_id, "suite", sc->keys[i].suite));
    o = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:b,s:o}", "format", 1, "node_id",
                  (json_int_t)n->conf->node_id, "index", (json_int_t)index, "term",
                  (json_int_t)n->raft.current_term, "cutover",
                  (json_int_t)skv_enc_cutover(&n->enc), "created_ms",
                  (json_int_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u),
                  "storage_envelope_active", n->enc.sc_present && sc->storage_envelope_active,
                  "keys", keys);
    return o;
}

/* The view and the stream at the FSM's applied index, in this loop turn. */
static int sess_start(struct skv_node *n, struct skv_backup_sess *s, uint64_t *index,
                      char *err, size_t errlen)
{
    struct skv_buf enc = {NULL, 0, 0};
    int rc;
    if (skv_fsm_flush(&n->fsm) != 0) {
        snprintf(err, errlen, "the FSM's pending writes could not be stored");
        return -1;
    }
    *index = n->fsm.applied;
    if (*index == 0) {
        snprintf(err, errlen, "nothing applied yet");
        return -1;
    }
    if (!(s->view = skv_snap_views_take_extra(&n->fsm.views, *index, err, errlen)))
        return -1;
    if (skv_fsm_snap_enc_dump(&n->fsm, &enc) != 0) {   /* raft_realloc'd */
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = skv_snap_stream_open(&s->stream, n->st, n->db, s->view->view,
                              skv_enc_cutover(&n->enc), *index, enc.p, enc.len, err, errlen);
    raft_free(enc.p);
    return rc;
}

void skv_op_snapshot_open(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_backup_sess *s;
    json_t *m, *ans;
    uint64_t index = 0;
    char err[300];
    if (skv_op_refuse_installing(op))
        return;
    if (n->backups.n >= SKV_BACKUP_MAX_SESSIONS) {
        skv_op_fail(op, SKV_ErrTooManyBackups, "%u backups are open on this node; wait for "
                    "one to end (idle ones end after %u ms)", SKV_BACKUP_MAX_SESSIONS,
                    SKV_BACKUP_IDLE_MS);
        return;
    }
    if (!(s = calloc(1, sizeof *s))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    if (sess_start(n, s, &index, err, sizeof err) != 0) {
        sess_free(n, s);
        if (index == 0)   /* a new node before its first entry */
            skv_op_fail(op, SKV_ErrUnavailable, "backup: this node has applied nothing yet");
        else
            skv_op_fail(op, SKV_ErrStorage, "backup: %s", err);
        return;
    }
    do
        randombytes_buf(&s->id, sizeof s->id);
    while ((s->id &= (1ull << 53) - 1) == 0);
    crypto_generichash_init(&s->hash, NULL, 0, SKV_BACKUP_HASH_LEN);
    m = manifest(n, index);
    s->head = m ? json_dumps(m, JSON_COMPACT) : NULL;
    ans = m ? json_deep_copy(m) : NULL;
    json_decref(m);
    if (!s->head || !ans || json_object_set_new(ans, "id", json_integer((json_int_t)s->id)) ||
        json_object_set_new(ans, "idle_timeout_ms", json_integer(SKV_BACKUP_IDLE_MS))) {
        json_decref(ans);
        sess_free(n, s);
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    s->last_ms = uv_now(&n->loop);
    s->next = n->backups.head;
    n->backups.head = s;
    n->backups.n++;
    skv_node_log(n, SKV_LOG_INFO, "backup %llu: opened at index %llu",
                 (unsigned long long)s->id, (unsigned long long)index);
    skv_op_reply_object(op, ans);
}

/* The next piece from the end of the last one: the head (first), then
 * snapshot bytes, then the trailer once the snapshot ended. */
static int next_piece(struct skv_node *n, struct skv_backup_sess *s, char *err, size_t errlen)
{
    size_t from;
    int rc = 1;
    s->piece_off += s->piece.len;
    s->piece.len = 0;
    if (s->head) {
        if (skv_backup_head(&s->piece, s->head) != 0) {
            snprintf(err, errlen, "backup: the manifest does not fit");
            return -1;
        }
        free(s->head);
        s->head = NULL;
    }
    from = s->piece.len;
    if (!s->ended)
        rc = skv_snap_stream_next(s->stream, &s->piece, SKV_BACKUP_PIECE, err, errlen);
    if (rc < 0)
        return -1;
    s->snap_len += s->piece.len - from;
    crypto_generichash_update(&s->hash, s->piece.p, s->piece.len);
    if (rc == 0 && !s->ended) {   /* the snapshot ended: the trailer follows */
        uint8_t h[SKV_BACKUP_HASH_LEN], t[SKV_BACKUP_TRAILER_LEN];
        crypto_generichash_final(&s->hash, h, sizeof h);
        skv_backup_trailer(t, s->snap_len, h);
        if (skv_buf_append(&s->piece, t, sizeof t) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->ended = 1;
        skv_node_log(n, SKV_LOG_INFO, "backup %llu: %llu snapshot bytes produced",
                     (unsigned long long)s->id, (unsigned long long)s->snap_len);
    }
    return 0;
}

static int offset_param(struct skv_op *op, uint64_t *off)
{
    json_error_t je;
    json_t *j = op->json ? json_loads(op->json, JSON_REJECT_DUPLICATES, &je) : NULL;
    json_t *v = j ? json_object_get(j, "offset") : NULL;
    int ok = json_is_integer(v) && json_integer_value(v) >= 0;
    if (ok)
        *off = (uint64_t)json_integer_value(v);
    json_decref(j);
    if (!ok)
        skv_op_fail(op, SKV_ErrBadRequest, "snapshot.read needs {\"offset\":N}, N >= 0");
    return ok ? 0 : -1;
}

static void reply_piece(struct skv_op *op, const struct skv_backup_sess *s)
{
    struct skv_admin_resp r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.status = 200;
    r.body = s->piece.len ? (const void *)s->piece.p : (const void *)"";
    r.body_len = s->piece.len;
    skv_op_reply(op, &r);
}

void skv_op_snapshot_read(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_backup_sess *s = find(n, op);
    uint64_t off = 0;
    char err[300];
    if (!s) {
        skv_op_fail(op, SKV_ErrBackupNotFound, "no open backup with that id on this node "
                    "(ended, idle for %u ms, or the node restarted): start again",
                    SKV_BACKUP_IDLE_MS);
        return;
    }
    if (offset_param(op, &off) != 0)
        return;
    s->last_ms = uv_now(&n->loop);
    if (off == s->piece_off + s->piece.len) {
        if (!(s->ended && s->piece.len == 0) && next_piece(n, s, err, sizeof err) != 0) {
            skv_node_log(n, SKV_LOG_WARN, "backup %llu: %s", (unsigned long long)s->id, err);
            sess_drop(n, s);
            skv_op_fail(op, SKV_ErrStorage, "backup ended: %s", err);
            return;
        }
    } else if (off != s->piece_off) {
        skv_op_fail(op, SKV_ErrBadRequest, "offset %llu: this backup can resend from %llu "
                    "or go on from %llu", (unsigned long long)off,
                    (unsigned long long)s->piece_off,
                    (unsigned long long)(s->piece_off + s->piece.len));
        return;
    }
    reply_piece(op, s);
}

void skv_op_snapshot_close(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_backup_sess *s = find(n, op);
    uint64_t id;
    if (!s) {
        skv_op_fail(op, SKV_ErrBackupNotFound, "no open backup with that id on this node");
        return;
    }
    id = s->id;
    sess_drop(n, s);
    skv_op_reply_object(op, json_pack("{s:I}", "id", (json_int_t)id));
}
