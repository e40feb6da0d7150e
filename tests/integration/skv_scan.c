/* SPDX-License-Identifier: MIT */
/*
 * skv_scan.c — test tool: open a stopped node's store (through its config
 * and the real storage plugin) and say where a marker byte string occurs,
 * by key space, so a test can tell the Raft log apart from FSM storage.
 *
 *   skv_scan CONFIG MARKER
 * prints one "name count" line per key space (raft_meta raft_log
 * raft_snapshot fsm_data fsm_meta writers other) holding the marker in a
 * key or value, then "values_clear N" / "values_sealed N" (FSM value
 * records by their 2-bit encryption state) and "entries N" (log entries).
 * Exit 0, or 2 on usage/open errors.
 */
#define _GNU_SOURCE 1 /* memmem */
#include "config/config.h"
#include "util/keys.h"
#include "plugin/loader.h"
#include "plugin/plugin_set.h"

#include <sealkv/storage.h>

#include <stdio.h>
#include <string.h>

enum { K_META, K_LOG, K_SNAP, K_DATA, K_FMETA, K_WRITERS, K_REV, K_OTHER, K_N };
static const char *const names[K_N] = {"raft_meta", "raft_log", "raft_snapshot", "fsm_data",
                                       "fsm_meta", "writers", "fsm_rev", "other"};

static int space(const unsigned char *k, size_t kl)
{
    if (kl == 0)
        return K_OTHER;
    switch (k[0]) {
    case SKV_PFX_RAFT_META: return K_META;
    case SKV_PFX_RAFT_LOG: return K_LOG;
    case SKV_PFX_RAFT_SNAP: return K_SNAP;
    case SKV_PFX_FSM_DATA: return K_DATA;
    case SKV_PFX_FSM_META: return K_FMETA;
    case SKV_PFX_WRITERS: return K_WRITERS;
    case SKV_PFX_FSM_REV: return K_REV;
    default: return K_OTHER;
    }
}

static int has(const void *hay, size_t hl, const char *m)
{
    return hl >= strlen(m) && memmem(hay, hl, m, strlen(m)) != NULL;
}

int main(int argc, char **argv)
{
    struct skv_config c;
    struct skv_plugin_set set;
    struct skv_err e = {0, ""};
    const struct skv_storage_ops *st;
    char msg[SKV_CONF_ERR_MAX], path[4200];
    unsigned long hits[K_N] = {0}, clear = 0, sealed = 0, entries = 0;
    void *db = NULL, *it = NULL;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: skv_scan CONFIG MARKER\n");
        return 2;
    }
    if (skv_config_load(argv[1], &c, msg, sizeof msg) != 0) {
        fprintf(stderr, "skv_scan: %s\n", msg);
        return 2;
    }
    if (skv_plugin_set_load(&set, &c, NULL, &e) != SKV_OK) {
        fprintf(stderr, "skv_scan: %s\n", e.msg);
        return 2;
    }
    st = skv_plugin_ops(set.storage);
    snprintf(path, sizeof path, "%s/store", c.data_dir);
    if (st->open(skv_plugin_state(set.storage), path, &db, &e) != SKV_OK ||
        st->iter_new(db, NULL, &it, &e) != SKV_OK) {
        fprintf(stderr, "skv_scan: %s\n", e.msg);
        return 2;
    }
    for (st->iter_seek(it, "", 0); st->iter_valid(it); st->iter_next(it)) {
        size_t kl, vl;
        const unsigned char *k = st->iter_key(it, &kl);
        const unsigned char *v = st->iter_value(it, &vl);
        int s = space(k, kl);
        if (has(k, kl, argv[2]) || has(v, vl, argv[2]))
            hits[s]++;
        if (s == K_LOG)
            entries++;
        if (s == K_DATA && vl > 0)
            ((v[0] & 3) == 0 ? clear++ : sealed++);
    }
    st->iter_free(it);
    st->close(db);
    for (i = 0; i < K_N; i++)
        printf("%s %lu\n", names[i], hits[i]);
    printf("values_clear %lu\nvalues_sealed %lu\nentries %lu\n", clear, sealed, entries);
    skv_plugin_set_unload(&set);
    skv_config_free(&c);
    return 0;
}
