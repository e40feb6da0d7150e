/* SPDX-License-Identifier: MIT */
/*
 * storage_leveldb.c — the storage-leveldb plugin's descriptor, entry
 * symbol, init/fini and option parsing. The ops live in ldb_db.c and
 * ldb_iter.c.
 *
 * Options (plugins.storage.options):
 *   cache_mb         block cache, MiB       0..65536, default 32 (0 = off)
 *   block_size_kb    table block size, KiB  1..1024,  default 4
 *   write_buffer_mb  memtable size, MiB     1..1024,  default 32
 *                    (a write that finds the memtable full while the last
 *                    one is still being flushed waits, on the node's loop
 *                    for FSM batches: 4 MiB filled every ~60 ms at 4 KiB
 *                    values; and level 0 stops all writes at 12 tables,
 *                    which at 16 MiB a 4 KiB c64 burst reached in seconds;
 *                    docs/PERFORMANCE.md "Table files written back as
 *                    they grow")
 *   write_buffer_stagger  bool, default true: node N's memtable is
 *                    write_buffer_mb x (1 + ((N - 1) mod 5) / 10) — node 1
 *                    32 MiB, node 2 35.2, node 3 38.4, ... A flush ends in
 *                    one fsync of the whole table that the raft log's fsync
 *                    waits behind; nodes that take the same write stream
 *                    into equal memtables flush at the same moment, so the
 *                    leader and both followers stalled together (3-node
 *                    4 KiB c8 p99 30-37 ms; staggered 19 ms). Staggered, a
 *                    majority mostly has a node that is not flushing.
 *   compression      snappy                 bool,     default false
 *                    (values are ciphertext: compression only costs CPU)
 *   paranoid_checks  paranoid open + verify read checksums; must be true
 *                    (default): this store holds the Raft term, vote and
 *                    log, and without it LevelDB drops a corrupt WAL
 *                    record and replays later ones (silent revert)
 *   max_open_files   table file handles     64..65536, default 500
 *   bloom_bits       bloom filter bits/key  0..32,    default 10 (0 = off)
 *                    (every put reads its key's revision first, usually a
 *                    miss: the filter answers a miss without reading a
 *                    table block; tables written without it stay readable)
 *   compaction_nice  added to the node's    0..19,    default 10 (0 = the
 *                    nice for LevelDB's               node's own priority;
 *                    flush/compaction thread          at most nice 19)
 *                    (background work yields the CPU to the loop, the raft
 *                    writer and HTTP on a busy machine; ldb_bgprio.c)
 *   writeback_kb     start writing a table  0..1048576, default 1024
 *                    file to disk each time (0 = off: a table is written
 *                    it grew by this much    at its one sync)
 *                    (a table's single fdatasync held up the raft log's
 *                    WAL sync on the same disk; ldb_wback.c)
 *   l0_slowdown_ms   a synced write waits    0..100,   default 5
 *                    this long per level-0 (0 = off: LevelDB's own 1 ms
 *                    table from the 8th      per write at 8, then its
 *                                            stop at 12)
 *                    (the raft log's batches are the synced writes: they
 *                    slow down before LevelDB stops every write; ldb_db.c)
 */
#include "ldb.h"

#include <stdint.h>
#include <stdlib.h>

#ifndef SKV_LDB_VERSION
#define SKV_LDB_VERSION "0"
#endif

#define KIB ((uint64_t)1024)
#define MIB (KIB * 1024)

static int ldb_read_ints(const struct skv_host *h, struct skv_ldb_conf *c,
                         struct skv_err *err)
{
    int64_t cache_mb, block_kb, wbuf_mb, max_files, bloom, nice, wback_kb, l0_ms;
    int rc;
    if ((rc = h->opt_int(h->ctx, "cache_mb", 32, 0, 65536, &cache_mb, err)) ||
        (rc = h->opt_int(h->ctx, "block_size_kb", 4, 1, 1024, &block_kb, err)) ||
        (rc = h->opt_int(h->ctx, "write_buffer_mb", 32, 1, 1024, &wbuf_mb, err)) ||
        (rc = h->opt_int(h->ctx, "max_open_files", 500, 64, 65536, &max_files, err)) ||
        (rc = h->opt_int(h->ctx, "bloom_bits", 10, 0, 32, &bloom, err)) ||
        (rc = h->opt_int(h->ctx, "compaction_nice", 10, 0, 19, &nice, err)) ||
        (rc = h->opt_int(h->ctx, "writeback_kb", 1024, 0, 1048576, &wback_kb, err)) ||
        (rc = h->opt_int(h->ctx, "l0_slowdown_ms", 5, 0, 100, &l0_ms, err)))
        return rc;
    if ((uint64_t)cache_mb > SIZE_MAX / MIB || (uint64_t)wbuf_mb > SIZE_MAX / MIB)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "storage-leveldb: cache_mb/write_buffer_mb too large for this platform");
    c->cache_bytes = (size_t)((uint64_t)cache_mb * MIB);
    c->block_size = (size_t)((uint64_t)block_kb * KIB);
    c->write_buffer = (size_t)((uint64_t)wbuf_mb * MIB);
    c->max_open_files = (int)max_files;
    c->bloom_bits = (int)bloom;
    c->compaction_nice = (int)nice;
    c->writeback = (size_t)((uint64_t)wback_kb * KIB);
    c->l0_slowdown_us = (long)l0_ms * 1000;
    return SKV_OK;
}

/* write_buffer_stagger: + a tenth per step of (node id - 1) mod 5. A
 * host without node_id, or node id 0 (offline tools), gets no stagger. */
static void ldb_stagger(const struct skv_host *h, struct skv_ldb_conf *c)
{
    uint64_t id = SKV_HAS(h, struct skv_host, node_id) && h->node_id ? h->node_id(h->ctx) : 0;
    if (id > 0)
        c->write_buffer += c->write_buffer / 10 * (size_t)((id - 1) % 5);
}

static int ldb_read_conf(const struct skv_host *h, struct skv_ldb_conf *c,
                         struct skv_err *err)
{
    int rc, stagger;
    if ((rc = ldb_read_ints(h, c, err)) ||
        (rc = h->opt_bool(h->ctx, "write_buffer_stagger", 1, &stagger, err)) ||
        (rc = h->opt_bool(h->ctx, "compression", 0, &c->compression, err)) ||
        (rc = h->opt_bool(h->ctx, "paranoid_checks", 1, &c->paranoid, err)))
        return rc;
    if (stagger)
        ldb_stagger(h, c);
    if (!c->paranoid)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "storage-leveldb: paranoid_checks cannot be false: the store holds "
                           "the Raft term, vote and log, and without it LevelDB skips a corrupt "
                           "log record and replays later ones (a silent revert)");
    return SKV_OK;
}

static int ldb_init(const struct skv_host *host, void **state,
                    struct skv_err *err)
{
    struct skv_ldb_inst *inst;
    int rc;

    if (!host || !state)
        return skv_err_set(err, SKV_ERR_INVALID, "storage-leveldb: init without host table");
    if (!SKV_HAS(host, struct skv_host, opt_bool) || !host->log || !host->opt_int)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "storage-leveldb: host table too old: expected struct_size >= %zu, found %u",
                           offsetof(struct skv_host, opt_bool) + sizeof host->opt_bool,
                           host->struct_size);
    if (!(inst = calloc(1, sizeof *inst)))
        return skv_err_set(err, SKV_ERR_NOMEM, "storage-leveldb: out of memory");
    inst->host = host;
    if ((rc = ldb_read_conf(host, &inst->conf, err)) != SKV_OK) {
        free(inst);
        return rc;
    }
    host->log(host->ctx, SKV_LOG_DEBUG,
              "leveldb %d.%d: cache %zu B, block %zu B, write buffer %zu B, "
              "compression %s, paranoid %s, max_open_files %d, bloom %d bits/key, "
              "compaction nice %d, writeback %zu B",
              leveldb_major_version(), leveldb_minor_version(),
              inst->conf.cache_bytes, inst->conf.block_size,
              inst->conf.write_buffer, inst->conf.compression ? "on" : "off",
              inst->conf.paranoid ? "on" : "off", inst->conf.max_open_files,
              inst->conf.bloom_bits, inst->conf.compaction_nice, inst->conf.writeback);
    *state = inst;
    return SKV_OK;
}

static const struct skv_storage_ops ldb_ops = {
    .struct_size = sizeof(struct skv_storage_ops),
    .open = skv_ldb_open,
    .close = skv_ldb_close,
    .get = skv_ldb_get,
    .free_buf = skv_ldb_free_buf,
    .write = skv_ldb_write,
    .view_new = skv_ldb_view_new,
    .view_release = skv_ldb_view_release,
    .iter_new = skv_ldb_iter_new,
    .iter_seek = skv_ldb_iter_seek,
    .iter_seek_last = skv_ldb_iter_seek_last,
    .iter_valid = skv_ldb_iter_valid,
    .iter_next = skv_ldb_iter_next,
    .iter_prev = skv_ldb_iter_prev,
    .iter_key = skv_ldb_iter_key,
    .iter_value = skv_ldb_iter_value,
    .iter_status = skv_ldb_iter_status,
    .iter_free = skv_ldb_iter_free,
    .compact = skv_ldb_compact,
};

/* fini is free(): the instance is the host table and options only (every
 * store was closed before fini). */
SKV_PLUGIN_DEFINE(SKV_KIND_STORAGE, "leveldb", SKV_LDB_VERSION,
                  "ordered byte KV store on LevelDB: atomic synced batches, "
                  "snapshots as read views",
                  ldb_init, free, &ldb_ops);
