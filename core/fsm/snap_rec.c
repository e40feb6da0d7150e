/* SPDX-License-Identifier: MIT */
/*
 * snap_rec.c — the records of a full snapshot (fsm_snap_enc.h
 * skv_snap_next): the FSM prefixes a snapshot carries (snap_view.h) and
 * the bounds-checked walk over [klen u32 BE][key][vlen u32 BE][value]
 * records. Pure: restore, the backup file check and the fuzz targets
 * share it.
 */
#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_view.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <string.h>

const uint8_t skv_snap_prefixes[SKV_SNAP_N_PREFIXES] = {
    SKV_PFX_FSM_DATA, SKV_PFX_WRITERS, SKV_PFX_FSM_REV, SKV_PFX_NAMED_DATA, SKV_PFX_NAMED_REV};

int skv_snap_owned_prefix(uint8_t p)
{
    return memchr(skv_snap_prefixes, p, SKV_SNAP_N_PREFIXES) != NULL || p == SKV_PFX_ENC_SNAP;
}

int skv_snap_next(const uint8_t *p, size_t len, size_t *pos, struct skv_snap_rec *r)
{
    uint32_t kl, vl;
    if (*pos >= len)
        return 0;
    if (len - *pos < 4 || (kl = skv_get_be32(p + *pos)) == 0 || kl > len - *pos - 4)
        return -1;
    r->key = p + *pos + 4;
    r->key_len = kl;
    *pos += 4 + kl;
    if (len - *pos < 4 || (vl = skv_get_be32(p + *pos)) > len - *pos - 4)
        return -1;
    r->val = p + *pos + 4;
    r->val_len = vl;
    *pos += 4 + vl;
    return skv_snap_owned_prefix(r->key[0]) ? 1 : -1;
}

