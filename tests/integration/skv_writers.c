/* SPDX-License-Identifier: MIT */
/*
 * skv_writers.c — test tool: open a stopped node's store (through its
 * config and the real storage plugin) and print its writer registry
 * (core/cmd/writers.h), one line per slot:
 *
 *   skv_writers CONFIG
 *   writer key_id=K node16=S node=N epoch=E
 *
 * so a scenario test can check who is registered under which DEK at which
 * local epoch. Exit 0, 1 on a malformed registry record, 2 on usage/open
 * errors.
 */
#include "config/config.h"
#include "util/keys.h"
#include "plugin/loader.h"
#include "plugin/plugin_set.h"
#include "cmd/writers.h"

#include <sealkv/storage.h>

#include <stdint.h>
#include <stdio.h>

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int main(int argc, char **argv)
{
    struct skv_config c;
    struct skv_plugin_set set;
    struct skv_err e = {0, ""};
    const struct skv_storage_ops *st;
    char msg[SKV_CONF_ERR_MAX], path[4200];
    const unsigned char pfx = SKV_PFX_WRITERS;
    void *db = NULL, *it = NULL;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: skv_writers CONFIG\n");
        return 2;
    }
    if (skv_config_load(argv[1], &c, msg, sizeof msg) != 0) {
        fprintf(stderr, "skv_writers: %s\n", msg);
        return 2;
    }
    if (skv_plugin_set_load(&set, &c, NULL, &e) != SKV_OK) {
        fprintf(stderr, "skv_writers: %s\n", e.msg);
        return 2;
    }
    st = skv_plugin_ops(set.storage);
    snprintf(path, sizeof path, "%s/store", c.data_dir);
    if (st->open(skv_plugin_state(set.storage), path, &db, &e) != SKV_OK ||
        st->iter_new(db, NULL, &it, &e) != SKV_OK) {
        fprintf(stderr, "skv_writers: %s\n", e.msg);
        return 2;
    }
    for (st->iter_seek(it, &pfx, 1); st->iter_valid(it); st->iter_next(it)) {
        size_t kl, vl;
        const unsigned char *k = st->iter_key(it, &kl);
        const unsigned char *v = st->iter_value(it, &vl);
        if (kl == 0 || k[0] != SKV_PFX_WRITERS)
            break;
        if (kl != SKV_WRITERS_KEY_LEN || vl != SKV_WRITERS_VAL_LEN) {
            fprintf(stderr, "skv_writers: malformed registry record (key %zu, value %zu bytes)\n",
                    kl, vl);
            bad = 1;
            continue;
        }
        printf("writer key_id=%llu node16=%llu node=%llu epoch=%llu\n",
               (unsigned long long)be(k + 1, 4), (unsigned long long)be(k + 5, 2),
               (unsigned long long)be(v, 8), (unsigned long long)be(v + 8, 4));
    }
    st->iter_free(it);
    st->close(db);
    skv_plugin_set_unload(&set);
    skv_config_free(&c);
    return bad;
}
