/* SPDX-License-Identifier: MIT */
/*
 * reads.c — linearizable reads on the leader, batched: reads arriving
 * while a barrier is in flight wait for the next one; when a barrier
 * applies, every read it covers is served from the local FSM.
 */
#include "admin/admin_ops.h"

static void issue_barrier(struct skv_node *n);

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
    n->read_barrier_inflight = 0;
    if (status != 0) {
        fail_list(&n->reads_inflight, status);
        fail_list(&n->reads_waiting, status);
        return;
    }
    while (!skv_list_empty(&n->reads_inflight)) {
        struct skv_op *op = skv_container_of(n->reads_inflight.next, struct skv_op, link);
        skv_list_del(&op->link);
        skv_kv_read_local(op);
    }
    if (!skv_list_empty(&n->reads_waiting))
        issue_barrier(n);
}

static void issue_barrier(struct skv_node *n)
{
    int rv;
    move_all(&n->reads_waiting, &n->reads_inflight);
    n->read_barrier.data = n;
    n->read_barrier_inflight = 1;
    rv = raft_barrier(&n->raft, &n->read_barrier, barrier_done);
    if (rv != 0) {
        n->read_barrier_inflight = 0;
        fail_list(&n->reads_inflight, rv);
    }
}

void skv_read_enqueue(struct skv_op *op)
{
    struct skv_node *n = op->node;
    skv_list_add_tail(&n->reads_waiting, &op->link);
    if (!n->read_barrier_inflight)
        issue_barrier(n);
}

void skv_reads_fail_all(struct skv_node *n, const char *why)
{
    (void)why;
    fail_list(&n->reads_waiting, RAFT_SHUTDOWN);
    /* in-flight ones are answered by the barrier callback (raft_close
     * fires it with an error) */
}
