/* SPDX-License-Identifier: MIT */
/*
 * fuzz_wire.c — libFuzzer target for the frame codec (core/wire/wire*.c):
 * decode arbitrary bytes, re-encode whatever decoded (must reproduce the
 * input byte for byte), then free what a decoded raft message owns.
 * Not part of the build. Run from the top of the tree:
 *   clang -fsanitize=fuzzer,address -Iabi -Icore tests/fuzz/fuzz_wire.c \
 *         core/wire/wire.c core/wire/wire_raft.c core/wire/wire_bounds.c -lraft \
 *         -o /tmp/fuzz_wire
 *   mkdir -p /tmp/fw && /tmp/fuzz_wire -max_total_time=30 /tmp/fw \
 *         tests/fuzz/corpus/wire   (new inputs go to the first dir)
 */
#include "wire/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field round-trips and the decoder rejects non-canonical values,
 * so re-encoding an accepted frame must give back the input exactly. */
static void reencode(const struct skv_frame *f, const uint8_t *in, size_t n)
{
    struct skv_buf wb = {0};
    char err[128];
    int rc = 0;
    switch (f->type) {
    case SKV_FRAME_RAFT: {
        char addr[SKV_WIRE_MAX_ADDRESS + 1];
        memcpy(addr, f->raft_from.p, f->raft_from.len);
        addr[f->raft_from.len] = 0;
        rc = skv_wire_encode_raft_from(&wb, f->from_id, addr, &f->u.raft, err,
                                       sizeof err);
        /* a version 2 frame is the v1 encoding stamped with the sender's
         * store identity, as raft_io_net.c sends it */
        if (rc == 0 && f->has_ident)
            rc = skv_wire_stamp_ident(&wb, f->store_ident);
        break;
    }
    case SKV_FRAME_PROPOSE_REQ:
        rc = skv_wire_encode_propose(&wb, f->from_id, &f->u.propose);
        break;
    case SKV_FRAME_PROPOSE_RESP:
        rc = skv_wire_encode_propose_resp(&wb, f->from_id, &f->u.propose_resp);
        break;
    case SKV_FRAME_ADMIN_REQ:
        rc = skv_wire_encode_admin(&wb, f->from_id, &f->u.admin);
        break;
    case SKV_FRAME_ADMIN_RESP:
        rc = skv_wire_encode_admin_resp(&wb, f->from_id, &f->u.admin_resp);
        break;
    case SKV_FRAME_SNAP_CHUNK:
        rc = skv_wire_encode_snap_chunk(&wb, f->from_id, &f->u.chunk);
        break;
    default:
        rc = skv_wire_encode_ctl(&wb, f->from_id, f->type, &f->u.ctl);
        break;
    }
    if (rc != 0 || wb.len != n || memcmp(wb.p, in, n) != 0)
        abort();
    skv_buf_free(&wb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_frame f;
    char err[256];
    if (skv_wire_decode(data, size, &f, err, sizeof err) != 0)
        return 0;
    reencode(&f, data, size);
    if (f.type == SKV_FRAME_RAFT)
        skv_wire_raft_message_free(&f.u.raft);
    return 0;
}
