/* SPDX-License-Identifier: MIT */
/*
 * raft_ls_codec.h — internals shared by the raft log store files: key
 * layout, record encoders/decoders (formats in raft_log_store.h), the
 * storage-error mapping and a prefix scan helper. Not a public API.
 */
#ifndef SKV_RAFT_LS_CODEC_H
#define SKV_RAFT_LS_CODEC_H

#include <stdint.h>

#include "raftio/raft_log_store.h"
#include "util/bytes.h" /* skv_put_le64 ... for the records */

#define SKV_LS_FORMAT 1
#define SKV_LS_LOG_KEY_LEN 9u   /* prefix + u64 BE index */
#define SKV_LS_HARD_LEN 24u
#define SKV_LS_SNAP_HDR 56u
#define SKV_LS_CHUNK_KEY_LEN 9u /* prefix + "data" + u32 BE chunk */

extern const uint8_t skv_ls_hard_key[5]; /* META "hard" */
extern const uint8_t skv_ls_snap_meta_key[5]; /* SNAP "meta" */
extern const uint8_t skv_ls_snap_data_pfx[5]; /* SNAP "data" */

void skv_ls_log_key(uint8_t key[SKV_LS_LOG_KEY_LEN], raft_index index);
void skv_ls_chunk_key(uint8_t key[SKV_LS_CHUNK_KEY_LEN], uint32_t chunk);
/* 1 if `key` is a well-formed log key (index into *index), else 0. */
int skv_ls_log_key_index(const void *key, size_t len, raft_index *index);

/* Entry record. */
size_t skv_ls_entry_size(const struct raft_entry *e);
void skv_ls_entry_encode(uint8_t *out, raft_index index,
                         const struct raft_entry *e);
struct skv_ls_rec {
    raft_term term;
    unsigned short type;
    const uint8_t *payload;
    size_t len;
};
int skv_ls_entry_decode(raft_index index, const void *val, size_t len,
                        struct skv_ls_rec *rec, char *errmsg);

/* Hard state record. */
void skv_ls_hard_encode(uint8_t out[SKV_LS_HARD_LEN], raft_term term,
                        raft_id vote);
int skv_ls_hard_decode(const void *val, size_t len, raft_term *term,
                       raft_id *vote, char *errmsg);

/* Snapshot metadata record. */
struct skv_ls_snap_meta {
    raft_index index;
    raft_term term;
    raft_index conf_index;
    uint64_t data_len;
    uint32_t data_crc;
    uint32_t n_chunks;
    const uint8_t *conf; /* points into the decoded value */
    uint32_t conf_len;
};
void skv_ls_snap_meta_encode(uint8_t *out, const struct skv_ls_snap_meta *m);
int skv_ls_snap_meta_decode(const void *val, size_t len,
                            struct skv_ls_snap_meta *m, char *errmsg);

/* Map a storage plugin failure to a RAFT_* code; message
 * "<what>: <plugin message>". */
int skv_ls_storage_err(int rc, const struct skv_err *e, const char *what,
                       char *errmsg);

/* Point read: 0 with *val (free with st->free_buf) or *val = NULL when
 * absent; RAFT_* on failure. */
int skv_ls_get(const struct skv_ls *ls, void *view, const void *key,
               size_t klen, void **val, size_t *vlen, const char *what,
               char *errmsg);

/* One atomic, synced batch. */
int skv_ls_write(const struct skv_ls *ls, const struct skv_batch_op *ops,
                 size_t n, const char *what, char *errmsg);

/* Visit every key >= from that starts with pfx[0..pfx_len), in order.
 * fn returns 0 to go on, SKV_LS_STOP to stop, or a RAFT_* error. */
#define SKV_LS_STOP (-1)
typedef int (*skv_ls_scan_fn)(void *arg, const uint8_t *key, size_t klen,
                              const uint8_t *val, size_t vlen,
                              char *errmsg);
int skv_ls_scan(const struct skv_ls *ls, void *view, const void *from,
                size_t from_len, const void *pfx, size_t pfx_len,
                skv_ls_scan_fn fn, void *arg, char *errmsg);

/* Growable list of u64 (indexes or chunk numbers to delete). */
struct skv_ls_u64s {
    uint64_t *v;
    size_t n, cap;
};
int skv_ls_u64s_push(struct skv_ls_u64s *l, uint64_t x);
void skv_ls_u64s_free(struct skv_ls_u64s *l);

/* Collect the log indexes >= from (and <= to) present in the store. */
int skv_ls_log_indexes(const struct skv_ls *ls, raft_index from,
                       raft_index to, struct skv_ls_u64s *out,
                       char *errmsg);

/* Fill ops[0..idx->n) with DELs of those log indexes; `keys` holds
 * idx->n * SKV_LS_LOG_KEY_LEN bytes and must outlive the write. */
void skv_ls_log_del_ops(const struct skv_ls_u64s *idx,
                        struct skv_batch_op *ops, uint8_t *keys);

/* The stored snapshot read through `view` (NULL = latest): 0 with *out
 * NULL when there is none. Ownership as in skv_ls_load. */
int skv_ls_snap_read(const struct skv_ls *ls, void *view,
                     struct raft_snapshot **out, char *errmsg);
void skv_ls_snap_free(struct raft_snapshot *s);

/* errmsg helper: snprintf into RAFT_ERRMSG_BUF_SIZE bytes, returns rc. */
int skv_ls_fail(char *errmsg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));


#endif
