/* SPDX-License-Identifier: MIT */
/*
 * cap_fanout.h — internal to the capability fan-out (cap_fanout.c,
 * cap_verdict.c): a fan-out's record and its probed peers, the limits on
 * an untrusted peer report, and the verdict helpers the fan-out calls.
 * Not for use outside core/admin/cap_*.c.
 */
#ifndef SKV_CAP_FANOUT_H
#define SKV_CAP_FANOUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "admin/capability.h"
#include "peer/tracker.h"

#define CAP_REPORT_MAX (64u * 1024u)  /* bytes of a peer's report we parse */
#define CAP_REASONS_MAX 8             /* reasons of one peer we quote */
#define CAP_REASON_MAX 200            /* bytes of one quoted reason */
#define CAP_SUITES_MAX 64             /* suites a report may list */
#define CAP_KEK_IDS_MAX 16            /* KEK ids a report may list */
#define CAP_FEATURES_MAX 32           /* features a report may list */
#define CAP_WHY_MAX 160
#define CAP_ROLE_EXTRA (-1)           /* an extra target, not in the config */

enum cap_peer_state {
    CAP_WAITING = 0,   /* probe sent, no answer yet */
    CAP_ANSWERED,      /* `report` holds a well-formed report */
    CAP_FAILED         /* `why` says what went wrong */
};

struct cap_peer {
    uint64_t id;
    char *address;     /* owned; NULL when unknown */
    int role;          /* RAFT_VOTER, RAFT_STANDBY or CAP_ROLE_EXTRA */
    int state;         /* enum cap_peer_state */
    json_t *report;    /* CAP_ANSWERED only */
    char why[CAP_WHY_MAX];
};

struct cap_fanout {
    struct skv_tracked track;  /* id, deadline: n->caps_pending while probing */
    unsigned timeout_ms;
    char *suite;               /* NULL: any */
    char *kek_id;              /* NULL: none; else every node must hold it */
    char *feature;             /* NULL: none; else every node must list it in "features" */
    struct cap_peer *peers;    /* sorted by id */
    size_t n_peers, n_waiting;
    uint64_t sent_ms;          /* last (re)send of the probes */
    skv_cap_done_fn cb;
    void *arg;
};

/* A probe or its answer can be lost (a lossy link, a reconnect): the
 * probes still unanswered are sent again this often within the window. */
#define CAP_RESEND_MS 150

/* Parse a peer's CAP_RESP json into p (CAP_ANSWERED or CAP_FAILED). */
void skv_cap_take_report(struct cap_peer *p, const struct skv_ctl_simple *m);
/* Judge every peer, call the callback once, free f (already untracked).
 * `unanswered`: reason for peers still waiting (NULL: the timeout). */
void skv_cap_complete(struct skv_node *n, struct cap_fanout *f, const char *unanswered);
/* The name ErrCapabilityCheckFailed, then ": out of memory", in buf (no allocation). */
const char *skv_cap_oom_message(char *buf, size_t len);
/* Free a fan-out that was never completed (start-up OOM). */
void skv_cap_fanout_free(struct cap_fanout *f);

#endif /* SKV_CAP_FANOUT_H */
