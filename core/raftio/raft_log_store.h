/* SPDX-License-Identifier: MIT */
/*
 * raft_log_store.h — C-Raft's persistent state in the storage plugin:
 * hard state (term, vote), log entries and the latest snapshot, under the
 * SKV_PFX_RAFT_* prefixes of keys.h. Every function is synchronous and
 * thread-agnostic (the raft_io adapter calls the slow ones from libuv
 * workers); every write is one atomic, synced batch.
 *
 * Records (integers LE inside values, BE inside keys; every record
 * carries a CRC-32 and a format byte, and a damaged one fails the read
 * with RAFT_CORRUPT and a message naming it):
 *
 *   META "hard"    [u8 fmt=1][3 zero][u32 crc][u64 term][u64 vote]
 *   LOG u64 index  [u8 fmt=1][u8 type][2 zero][u32 crc][u64 term][payload]
 *                  crc covers index(BE) ‖ bytes 0..3 ‖ bytes 8..end, so a
 *                  record moved to another key fails too
 *   SNAP "meta"    [u8 fmt=1][3 zero][u32 crc][u64 index][u64 term]
 *                  [u64 conf_index][u64 data_len][u32 data_crc]
 *                  [u32 n_chunks][u32 conf_len][4 zero][conf bytes]
 *                  (conf in raft_configuration_encode format)
 *   SNAP "data" u32 chunk (BE)   data bytes, SKV_LS_SNAP_CHUNK each
 *
 * Functions return 0 or a RAFT_* code with a message in errmsg
 * (RAFT_ERRMSG_BUF_SIZE bytes). Storage failures become RAFT_IOERR
 * (RAFT_NOMEM / RAFT_CORRUPT for those plugin codes) carrying the plugin's
 * message.
 */
#ifndef SKV_RAFT_LOG_STORE_H
#define SKV_RAFT_LOG_STORE_H

#include <raft.h>
#include <sealkv/storage.h>

#define SKV_LS_SNAP_CHUNK (4u * 1024u * 1024u)
#define SKV_LS_ENTRY_HDR 16u

struct skv_ls {
    const struct skv_storage_ops *st;
    void *db;
};

/* A run of entries to store at first, first+1, ... */
struct skv_ls_run {
    raft_index first;
    const struct raft_entry *entries;
    unsigned n;
};

/* Hard state; both 0 when never written. */
int skv_ls_hard_state(const struct skv_ls *ls, raft_term *term,
                      raft_id *vote, char *errmsg);
int skv_ls_set_hard_state(const struct skv_ls *ls, raft_term term,
                          raft_id vote, char *errmsg);

/* Everything raft_io->load returns, with C-Raft's ownership: *snapshot
 * (or NULL) is raft_malloc'd with one raft_malloc'd buffer and a
 * raft-heap configuration; *entries (or NULL) is one raft_malloc'd array
 * whose payloads live in one raft_malloc'd batch. Validates the whole
 * log (contiguous, CRCs, types, non-decreasing terms, decodable
 * configurations, first entry a configuration when there is no
 * snapshot). Entries retained before the snapshot index are returned
 * with their start index (as C-Raft's uv backend); a run the snapshot
 * fully covers and that is not contiguous with what follows is stale and
 * skipped. On error nothing is returned. */
int skv_ls_load(const struct skv_ls *ls, raft_term *term, raft_id *vote,
                struct raft_snapshot **snapshot, raft_index *start_index,
                struct raft_entry **entries, size_t *n_entries,
                char *errmsg);
void skv_ls_free_loaded(struct raft_snapshot *snapshot,
                        struct raft_entry *entries, size_t n_entries);

/* Store runs of entries (group commit: one synced batch). */
int skv_ls_append(const struct skv_ls *ls, const struct skv_ls_run *runs,
                  size_t n_runs, char *errmsg);

/* Delete every entry with index >= index. */
int skv_ls_truncate(const struct skv_ls *ls, raft_index index,
                    char *errmsg);

/* Replace the stored snapshot and, in the same batch, delete the entries
 * with index <= snapshot->index - trailing, or every entry when trailing
 * is 0 (a snapshot installed from the leader replaces the whole log).
 * floor: NULL, or the caller's "no entry below *floor is stored" (0 if
 * not known). With a floor the entries to delete are floor..index -
 * trailing, deleted without a lookup; without one they are looked up
 * from index 0, a walk over LevelDB's tombstones of every earlier
 * compaction that grew with each snapshot. After a successful put
 * *floor says the same of the log the put left (UINT64_MAX: no entry). */
int skv_ls_snapshot_put(const struct skv_ls *ls, unsigned trailing,
                        const struct raft_snapshot *snapshot,
                        raft_index *floor, char *errmsg);

/* The stored snapshot (ownership as in skv_ls_load), read from one
 * consistent view; RAFT_NOTFOUND when there is none. */
int skv_ls_snapshot_get(const struct skv_ls *ls,
                        struct raft_snapshot **snapshot, char *errmsg);

/* RAFT_CANTBOOTSTRAP if any hard state, entry or snapshot exists;
 * otherwise term 1, no vote and entry 1 = RAFT_CHANGE(conf), one batch. */
int skv_ls_bootstrap(const struct skv_ls *ls,
                     const struct raft_configuration *conf, char *errmsg);

/* Append RAFT_CHANGE(conf) after the last entry (or snapshot), with the
 * last entry's term (1 on an empty store). */
int skv_ls_recover(const struct skv_ls *ls,
                   const struct raft_configuration *conf, char *errmsg);

#endif
