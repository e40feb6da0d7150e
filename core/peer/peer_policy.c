/* SPDX-License-Identifier: MIT */
/*
 * peer_policy.c — the content rules of peer_policy.h: which decoded
 * proposals and which admin ops a follower may forward to its leader.
 */
#include "peer/peer_policy.h"
#include "cmd/cmd_decode.h"
#include "intake/propose.h"

#include <sealkv/plugin.h>

#include <stdio.h>
#include <string.h>

static int refuse(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

int skv_peer_proposal_allowed(uint64_t from, uint32_t source,
                              const struct skv_cmd *c, char *why,
                              size_t whylen)
{
    size_t i;
    switch (c->tag) {
    case SKV_CMD_KV:
    case SKV_CMD_KV_CAS:
        return source == SKV_SRC_USER
                   ? 0 : refuse(why, whylen, "a KV write must have source user");
    case SKV_CMD_NOOP:
        return source == SKV_SRC_ADMIN
                   ? 0 : refuse(why, whylen, "a no-op must have source admin");
    case SKV_CMD_WRITER_REG:
        if (source != SKV_SRC_ADMIN)
            return refuse(why, whylen, "a writer registration must have source admin");
        for (i = 0; i < c->n_regs; i++)
            if (c->regs[i].node_id != from) {
                snprintf(why, whylen, "writer registration for node %llu forwarded by "
                         "node %llu: a node registers only itself",
                         (unsigned long long)c->regs[i].node_id,
                         (unsigned long long)from);
                return -1;
            }
        return 0;
    case SKV_CMD_KV_BATCH:
        return refuse(why, whylen, "a KV batch is never forwarded");
    case SKV_CMD_TXN: /* its answer carries results: the op is forwarded instead */
        return refuse(why, whylen, "a transaction is proposed on the leader only");
    case SKV_CMD_ENC_BOOTSTRAP:
        return refuse(why, whylen, "the encryption bootstrap is built on the leader only");
    case SKV_CMD_ENC_ROTATION:
        return refuse(why, whylen, "encryption phase entries are built on the leader only");
    default:
        return refuse(why, whylen, "unknown command tag");
    }
}

int skv_peer_may_forward(uint64_t self, uint32_t source, const void *payload,
                         size_t len)
{
    struct skv_cmd c;
    char why[160];
    int ok;
    if (skv_cmd_decode(payload, len, &c, why, sizeof why) != 0)
        return -1;
    ok = skv_peer_proposal_allowed(self, source, &c, why, sizeof why) == 0;
    skv_cmd_free(&c);
    return ok;
}

/* The ops admin_ops.c runs ON_LEADER / ON_LEADER_READY: the only ones a
 * follower forwards (skv_forward_to_leader). Keep in step with its table. */
static const char *const forwarded_ops[] = {
    "kv.get", "kv.list", "kv.txn", "members.add", "members.promote", "members.remove",
    "encryption.enable-storage-envelope", "encryption.enable-raft-envelope",
    "encryption.rotate-dek", "encryption.retire", "encryption.seal-key-names",
};

int skv_peer_op_allowed(const char *op, uint32_t flags, char *why, size_t whylen)
{
    size_t i;
    if (flags & ~SKV_ADMIN_F_LOCAL_READ)
        return refuse(why, whylen, "unknown flag bits");
    if (flags & SKV_ADMIN_F_LOCAL_READ)
        return refuse(why, whylen, "a local read is never forwarded");
    for (i = 0; i < sizeof forwarded_ops / sizeof forwarded_ops[0]; i++)
        if (strcmp(op, forwarded_ops[i]) == 0)
            return 0;
    snprintf(why, whylen, "op '%s' is never forwarded by a follower", op);
    return -1;
}
