/* SPDX-License-Identifier: MIT */
/*
 * reads.c — linearizable reads on the leader, batched (state: struct
 * skv_reads, reads.h): reads arriving while a barrier is in flight wait
 * for the next one; when a barrier applies, every read it covers is
 * served from the local FSM.
 */
#include "admin/admin_ops.h"
#include "admin/reads.h"

static void issue_barrier(struct skv_node *n);

void skv_reads_init(struct skv_reads *r)
{
    skv_list_init(&r->waiting);
    skv_list_init(&r->inflight);
    r->barrier_inflight = 0;
}

static void move_all(struct skv_list *from, struct skv_list *to)
{
    while (!skv_list_empty(from)) {
        struct skv_list *e = from->next;
        skv_list_del(e);
        skv_list_add_tail(to, e);
    }
}

static void fail_list(struct skv_list *l, int status)
{
    while (!skv_list_empty(l)) {
        struct skv_op *op = skv_container_of(l->next, struct skv_op, link);
        skv_list_del(&op->link);
        skv_reply_raft_error(op, status, "linearizable read");
    }
}

static void barrier_done(struct raft_barrier *req, int status)
{
    struct skv_node *n = req->data;
    struct skv_reads *r = &n->reads;
    r->barrier_inflight = 0;
    if (status != 0) {
        fail_list(&r->inflight, status);
        fail_list(&r->waiting, status);
        return;
    }
    while (!skv_list_empty(&r->inflight)) {
        struct skv_op *op = skv_container_of(r->inflight.next, struct skv_op, link);
        skv_list_del(&op->link);
        skv_op_read_local(op);
    }
    if (!skv_list_empty(&r->waiting))
        issue_barrier(n);
}

static void issue_barrier(struct skv_node *n)
{
    struct skv_reads *r = &n->reads;
    int rv;
    move_all(&r->waiting, &r->inflight);
    r->barrier.data = n;
    r->barrier_inflight = 1;
    rv = raft_barrier(&n->raft, &r->barrier, barrier_done);
    if (rv != 0) {
        r->barrier_inflight = 0;
        fail_list(&r->inflight, rv);
    }
}

void skv_read_enqueue(struct skv_op *op)
{
    struct skv_node *n = op->node;
    skv_list_add_tail(&n->reads.waiting, &op->link);
    if (!n->reads.barrier_inflight)
        issue_barrier(n);
}

void skv_reads_fail_all(struct skv_node *n)
{
    fail_list(&n->reads.waiting, RAFT_SHUTDOWN);
    /* in-flight ones are answered by the barrier callback (raft_close
     * fires it with an error) */
}
