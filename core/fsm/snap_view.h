/* SPDX-License-Identifier: MIT */
/*
 * snap_view.h — the storage views behind LOCAL snapshots (snap_hdr.h v3).
 *
 * A local snapshot records index, cutover and encryption state only: the
 * FSM's key space is already durable in the store, so taking one costs
 * the write path one small synced batch whatever the data set. The key
 * space at the snapshot's index is kept readable through a storage view
 * (a point-in-time read view of the storage plugin) taken on the loop
 * thread in the same turn as the snapshot; when C-Raft sends the snapshot
 * to a follower (io->snapshot_get), the full v1/v2 form is made from that
 * view on the io's worker (skv_snap_expand) and only then held in memory.
 *
 * Ownership: one struct per FSM; every function but skv_snap_expand runs
 * on the loop thread. A view is released when it is neither current nor
 * pending nor pinned by an expansion in flight. After a restart there is
 * no view for the stored local snapshot: skv_snap_views_need_fresh() says
 * a new snapshot (and view) should be taken at the next apply; until then
 * an expansion fails with RAFT_BUSY and C-Raft retries the send.
 */
#ifndef SKV_SNAP_VIEW_H
#define SKV_SNAP_VIEW_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>
#include <sealkv/storage.h>

/* The storage prefixes a snapshot carries — the FSM key space (values
 * and their revision records, fsm_rev.h) and the writer registry: the
 * expansion dumps exactly these and a restore replaces exactly these
 * (fsm_snapshot.c). A snapshot made before revisions has no revision
 * records: its keys read as revision 0 (unknown). */
#define SKV_SNAP_N_PREFIXES 5
extern const uint8_t skv_snap_prefixes[SKV_SNAP_N_PREFIXES];

struct skv_snap_view {
    void *view;            /* storage view handle */
    uint64_t index;        /* the snapshot index it reads at */
    uint64_t seq;          /* taken as the seq-th view (1, 2, ...) */
    unsigned refs;         /* current/pending + one per expansion in flight */
    struct skv_snap_view *next;   /* every live view (vs->live) */
};

struct skv_snap_views {
    const struct skv_storage_ops *st;
    void *db;
    struct skv_snap_view *cur;      /* behind the stored local snapshot */
    struct skv_snap_view *pending;  /* taken with a snapshot being stored */
    struct skv_snap_view *live;     /* every view not yet released */
    uint64_t seq;                   /* views taken so far */
    int need_fresh;                 /* no view for the stored snapshot */
    int barrier_pending;            /* node.c: a barrier to get an apply */
};

void skv_snap_views_init(struct skv_snap_views *vs, const struct skv_storage_ops *st,
                         void *db);
/* A view at `index` for the snapshot being taken. 0, or -1 (message). */
int skv_snap_views_take(struct skv_snap_views *vs, uint64_t index, char *err, size_t errlen);
/* The snapshot being taken was stored at `stored_index` (C-Raft's log
 * snapshot index after the put): the pending view becomes current if it
 * is the one stored, else it is dropped. */
void skv_snap_views_settle(struct skv_snap_views *vs, uint64_t stored_index);
/* A view of the store as it is now, for a reader other than a snapshot
 * (a backup, admin/backup.c): in the live list (erase-cleartext waits for
 * it like for any view), neither current nor pending, one reference
 * released with skv_snap_views_unpin. NULL with a message on failure. */
struct skv_snap_view *skv_snap_views_take_extra(struct skv_snap_views *vs, uint64_t index,
                                                char *err, size_t errlen);
/* The current view with a reference for an expansion (NULL: none). */
struct skv_snap_view *skv_snap_views_pin(struct skv_snap_views *vs);
void skv_snap_views_unpin(struct skv_snap_views *vs, struct skv_snap_view *v);
/* A view keeps whatever it can see on disk (the store's compaction
 * cannot drop it), including log entries a later snapshot deleted. To
 * make deleted bytes leave the disk (erase-cleartext), drop the current
 * view (need_fresh is set) and wait until no view taken before the
 * returned mark lives (expansions in flight still hold theirs). */
uint64_t skv_snap_views_drop(struct skv_snap_views *vs);
int skv_snap_views_alive_before(const struct skv_snap_views *vs, uint64_t mark);
/* Release every view (shutdown, after raft closed: no expansion left). */
void skv_snap_views_close(struct skv_snap_views *vs);

/* Worker thread: turn a stored snapshot's data into what a follower
 * installs. 1 when `stored` is already a full snapshot (send it as is);
 * 0 with *full (raft_malloc'd: header v1/v2, every record under the FSM
 * prefixes read through v, then the local snapshot's encryption record);
 * RAFT_BUSY when v is NULL or at another index; another RAFT_* error with
 * a message. Reads only through v and thread-safe storage calls. */
int skv_snap_expand(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                    const struct raft_buffer *stored, struct raft_buffer *full, char *errmsg,
                    size_t errlen);

#endif
