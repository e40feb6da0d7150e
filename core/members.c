/*
 * members.c — membership ops on the leader: list, add (as voter or
 * standby: raft_add then raft_assign), promote to voter, remove.
 */
#include "admin_ops.h"
#include "enc_ops.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *role_name(int role)
{
    switch (role) {
    case RAFT_VOTER: return "voter";
    case RAFT_STANDBY: return "standby";
    case RAFT_SPARE: return "spare";
    default: return "unknown";
    }
}

json_t *skv_members_json(struct skv_node *n);
json_t *skv_members_json(struct skv_node *n)
{
    json_t *a = json_array();
    unsigned i;
    for (i = 0; a && i < n->raft.configuration.n; i++) {
        const struct raft_server *s = &n->raft.configuration.servers[i];
        json_array_append_new(a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)s->id,
                                           "address", s->address, "role", role_name(s->role)));
    }
    return a;
}

static void reply_json_obj(struct skv_op *op, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!s)
        skv_op_reply_error(op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
    else
        skv_op_reply_json(op, 200, s);
    free(s);
    json_decref(o);
}

void skv_op_members_list(struct skv_op *op)
{
    struct skv_node *n = op->node;
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&n->raft, &lid, &laddr);
    reply_json_obj(op, json_pack("{s:o,s:I}", "members", skv_members_json(n),
                                 "leader_id", (json_int_t)lid));
}

static void change_done(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    if (status != 0) {
        skv_reply_raft_error(op, status, op->op);
        return;
    }
    reply_json_obj(op, json_pack("{s:I,s:s}", "id", (json_int_t)op->member_id,
                                 "role", role_name(op->member_role)));
}

static void assign(struct skv_op *op)
{
    int rv;
    op->rq.change.data = op;
    rv = raft_assign(&op->node->raft, &op->rq.change, op->member_id, op->member_role, change_done);
    if (rv != 0)
        skv_op_reply_error(op, SKV_ERR_INVALID, rv == RAFT_BADROLE || rv == RAFT_NOTFOUND ? 400 : 503,
                           "ErrMembership", rv == RAFT_CANTCHANGE ? 1 : 0,
                           "assign %s to %llu: %s", role_name(op->member_role),
                           (unsigned long long)op->member_id, raft_strerror(rv));
}

static void added(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    if (status != 0) {
        skv_reply_raft_error(op, status, op->op);
        return;
    }
    assign(op);
}

static void add_now(struct skv_op *op);

void skv_op_members_add(struct skv_op *op)
{
    json_error_t je;
    json_t *j = op->json ? json_loads(op->json, 0, &je) : NULL;
    json_int_t id = 0;
    const char *addr = NULL, *role = "voter";
    if (!j || json_unpack_ex(j, &je, JSON_STRICT, "{s:I,s:s,s?:s}", "id", &id,
                             "address", &addr, "role", &role) != 0 || id <= 0 ||
        (strcmp(role, "voter") != 0 && strcmp(role, "standby") != 0)) {
        skv_op_reply_error(op, SKV_ERR_INVALID, 400, "ErrBadRequest", 0,
                           "expected {\"id\":N>0,\"address\":\"host:port\",\"role\":\"voter\"|\"standby\"}%s%s",
                           j ? ": " : "", j ? je.text : "");
        json_decref(j);
        return;
    }
    if (strlen(addr) >= sizeof op->member_address) {
        skv_op_reply_error(op, SKV_ERR_INVALID, 400, "ErrBadRequest", 0, "address too long");
        json_decref(j);
        return;
    }
    op->member_id = (uint64_t)id;
    op->member_role = strcmp(role, "voter") == 0 ? RAFT_VOTER : RAFT_STANDBY;
    snprintf(op->member_address, sizeof op->member_address, "%s", addr);
    json_decref(j);
    /* once encryption is bootstrapped the newcomer must be capable and
     * registered as a writer before it is added */
    skv_enc_member_gate(op, op->member_id, op->member_address, add_now);
}

static void add_now(struct skv_op *op)
{
    int rv;
    op->rq.change.data = op;
    rv = raft_add(&op->node->raft, &op->rq.change, op->member_id, op->member_address, added);
    if (rv != 0)
        skv_op_reply_error(op, SKV_ERR_INVALID, rv == RAFT_DUPLICATEID || rv == RAFT_DUPLICATEADDRESS ? 409 : 503,
                           "ErrMembership", rv == RAFT_CANTCHANGE ? 1 : 0, "add %llu: %s",
                           (unsigned long long)op->member_id, raft_strerror(rv));
}

static int parse_id(struct skv_op *op, uint64_t *id)
{
    char buf[24], *end;
    if (op->arg_len == 0 || op->arg_len >= sizeof buf)
        return -1;
    memcpy(buf, op->arg, op->arg_len);
    buf[op->arg_len] = 0;
    *id = strtoull(buf, &end, 10);
    return (*end || *id == 0) ? -1 : 0;
}

void skv_op_members_promote(struct skv_op *op)
{
    if (parse_id(op, &op->member_id) != 0) {
        skv_op_reply_error(op, SKV_ERR_INVALID, 400, "ErrBadRequest", 0, "bad member id");
        return;
    }
    op->member_role = RAFT_VOTER;
    assign(op);
}

void skv_op_members_remove(struct skv_op *op)
{
    int rv;
    if (parse_id(op, &op->member_id) != 0) {
        skv_op_reply_error(op, SKV_ERR_INVALID, 400, "ErrBadRequest", 0, "bad member id");
        return;
    }
    op->member_role = -1;
    op->rq.change.data = op;
    rv = raft_remove(&op->node->raft, &op->rq.change, op->member_id, change_done);
    if (rv != 0)
        skv_op_reply_error(op, SKV_ERR_INVALID, rv == RAFT_BADID ? 404 : 503, "ErrMembership",
                           rv == RAFT_CANTCHANGE ? 1 : 0, "remove %llu: %s",
                           (unsigned long long)op->member_id, raft_strerror(rv));
}
