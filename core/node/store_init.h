/* SPDX-License-Identifier: MIT */
/*
 * store_init.h — the start-up rules that keep a lost store from coming
 * back as a blank member (docs/DURABILITY.md, sealkvd(8) FIRST START):
 *
 *   data_dir absent                  first start: create it, new store,
 *                                    new identity mark
 *   data_dir present, store/ missing refused — unless --init (a new node
 *   or empty                         whose data_dir was made in advance)
 *   store with a mark                normal start (the mark's node id
 *                                    must be this node's; --init refused)
 *   store without mark, Raft state   a store older than marks: marked now
 *   store without mark, no state     refused — unless --init
 */
#ifndef SKV_STORE_INIT_H
#define SKV_STORE_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "node/store_ident.h"

/* Before anything is created (also run by --check-config): *is_new = 1
 * when this start may create a new store. -1 with a message on refusal. */
int skv_store_precheck(const char *data_dir, uint64_t node_id, int init,
                       int *is_new, char *err, size_t errlen);

/* After the store is open: read, check or write the mark; *out is this
 * store's identity. *created = 1 when the mark was written now. */
int skv_store_mark(const struct skv_ls *ls, const char *data_dir,
                   uint64_t node_id, int is_new, int init,
                   struct skv_ident *out, int *created, char *err,
                   size_t errlen);

#endif
