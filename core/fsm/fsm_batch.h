/* SPDX-License-Identifier: MIT */
/*
 * fsm_batch.h — the FSM's storage batch: the writes of one applied entry,
 * or of a commit round's entries (fsm.c), committed as one storage batch.
 * Every key and value is in memory the batch owns (one allocation per
 * op, at op.key; op.val points into it). Builders: skv_fsm_batch_put /
 * _del / _free in fsm.h.
 */
#ifndef SKV_FSM_BATCH_H
#define SKV_FSM_BATCH_H

#include <stddef.h>

#include <sealkv/storage.h>

struct skv_fsm_batch {
    struct skv_batch_op *ops;
    size_t n, cap;
    size_t bytes; /* keys and values held */
};

#endif
