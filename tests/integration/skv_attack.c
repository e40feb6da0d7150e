/* SPDX-License-Identifier: MIT */
/*
 * skv_attack.c — test tool: play a hostile peer against a node's Raft port.
 * Connects (plaintext, or TLS 1.3 with an optional client certificate),
 * sends the transport handshake announcing --id, then one crafted frame
 * built with the core's own wire encoders, and reports what the node did
 * with the connection. The node never answers on an inbound connection,
 * so effects are judged by the test (no write, no halt, leader kept).
 *
 *   skv_attack --to HOST:PORT [--plain | --ca F [--cert F --key F]]
 *              [--id N] [--from N] ACTION [ARGS]
 *   ACTION  propose HEX            forwarded proposal, raw FSM payload
 *           admin OP [ARG [BODY]]  forwarded admin op
 *           vote TERM              RequestVote (candidate = --from)
 *           append TERM PREV_INDEX PREV_TERM HEX
 *                                  AppendEntries with one command entry
 * --id: the id the handshake announces (default 1); --from: the frame's
 * sender id (default --id).
 *
 * Prints one line: "refused: <why>" (TLS handshake failed, no handshake
 * ack, or the node closed the connection right after the frame; exit 3)
 * or "sent" (the node accepted the connection, the frame went out and the
 * connection stayed open; exit 0). "sent" says nothing about what the
 * node did with the frame: the test checks that.
 * Exit 1 on local errors, 2 on usage.
 */
#include "wire/wire.h"
#include "tcp_frame.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct opts {
    const char *to, *ca, *cert, *key;
    int plain;
    uint64_t id, from;
    char **args;
    int nargs;
};

static int usage(void)
{
    fputs("usage: skv_attack --to HOST:PORT [--plain | --ca F [--cert F --key F]]\n"
          "       [--id N] [--from N] propose HEX | admin OP [ARG [BODY]] |\n"
          "       vote TERM | append TERM PREV_INDEX PREV_TERM HEX\n", stderr);
    return 2;
}

/* raft_term/raft_index are unsigned long long, uint64_t is unsigned long
 * on LP64: parse into the former, copy into the latter. */
static int parse_ull(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    if (parse_ull(s, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    int i;
    memset(o, 0, sizeof *o);
    o->id = 1;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--plain")) { o->plain = 1; continue; }
        if (!v)
            return -1;
        if (!strcmp(a, "--to")) o->to = v;
        else if (!strcmp(a, "--ca")) o->ca = v;
        else if (!strcmp(a, "--cert")) o->cert = v;
        else if (!strcmp(a, "--key")) o->key = v;
        else if (!strcmp(a, "--id")) { if (parse_u64(v, &o->id)) return -1; }
        else if (!strcmp(a, "--from")) { if (parse_u64(v, &o->from)) return -1; }
        else return -1;
        i++;
    }
    if (!o->from)
        o->from = o->id;
    o->args = argv + i;
    o->nargs = argc - i;
    return (o->to && o->nargs >= 1 && (o->plain || o->ca)) ? 0 : -1;
}

/* Hex string → malloc'd bytes. */
static uint8_t *unhex(const char *h, size_t *len)
{
    size_t n = strlen(h), i;
    uint8_t *p;
    if (n % 2)
        return NULL;
    p = malloc(n / 2 + 1);
    for (i = 0; p && i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(p);
            return NULL;
        }
        p[i] = (uint8_t)v;
    }
    *len = n / 2;
    return p;
}

static int build_raft(const struct opts *o, struct skv_buf *w)
{
    struct raft_message m;
    struct raft_entry e;
    char err[200];
    uint8_t *payload = NULL;
    size_t plen = 0;
    int rc;
    memset(&m, 0, sizeof m);
    memset(&e, 0, sizeof e);
    m.server_id = o->from;
    if (!strcmp(o->args[0], "vote") && o->nargs == 2) {
        m.type = RAFT_IO_REQUEST_VOTE;
        if (parse_ull(o->args[1], &m.request_vote.term))
            return -1;
        m.request_vote.candidate_id = o->from;
        m.request_vote.last_log_index = UINT64_C(1) << 40;
        m.request_vote.last_log_term = m.request_vote.term;
        m.request_vote.disrupt_leader = true;
    } else if (!strcmp(o->args[0], "append") && o->nargs == 5) {
        m.type = RAFT_IO_APPEND_ENTRIES;
        if (parse_ull(o->args[1], &m.append_entries.term) ||
            parse_ull(o->args[2], &m.append_entries.prev_log_index) ||
            parse_ull(o->args[3], &m.append_entries.prev_log_term) ||
            !(payload = unhex(o->args[4], &plen)))
            return -1;
        e.term = m.append_entries.term;
        e.type = RAFT_COMMAND;
        e.buf.base = payload;
        e.buf.len = plen;
        m.append_entries.entries = &e;
        m.append_entries.n_entries = 1;
        m.append_entries.leader_commit = m.append_entries.prev_log_index + 1;
    } else {
        return -1;
    }
    rc = skv_wire_encode_raft(w, o->from, &m, err, sizeof err);
    free(payload);
    return rc;
}

static int build_frame(const struct opts *o, struct skv_buf *w)
{
    const char *a = o->args[0];
    if (!strcmp(a, "propose") && o->nargs == 2) {
        struct skv_fwd_propose p;
        uint8_t *payload;
        int rc;
        memset(&p, 0, sizeof p);
        if (!(payload = unhex(o->args[1], &p.payload.len)))
            return -1;
        p.req_id = 4242;
        p.payload.p = payload;
        rc = skv_wire_encode_propose(w, o->from, &p);
        free(payload);
        return rc;
    }
    if (!strcmp(a, "admin") && o->nargs >= 2 && o->nargs <= 4) {
        struct skv_fwd_admin m;
        memset(&m, 0, sizeof m);
        m.req_id = 4243;
        m.op.p = (const uint8_t *)o->args[1];
        m.op.len = strlen(o->args[1]);
        if (o->nargs >= 3) {
            m.arg.p = (const uint8_t *)o->args[2];
            m.arg.len = strlen(o->args[2]);
        }
        if (o->nargs == 4) {
            m.body.p = (const uint8_t *)o->args[3];
            m.body.len = strlen(o->args[3]);
        }
        return skv_wire_encode_admin(w, o->from, &m);
    }
    return build_raft(o, w);
}

static int dial(const char *to)
{
    char host[256];
    const char *colon = strrchr(to, ':');
    struct addrinfo hints, *ai = NULL;
    int fd;
    if (!colon || (size_t)(colon - to) >= sizeof host)
        return -1;
    memcpy(host, to, (size_t)(colon - to));
    host[colon - to] = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        return -1;
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* Everything the attacker sends: handshake, then [len u32 LE][frame]. */
static int send_all(int fd, SSL *ssl, const void *p, size_t n)
{
    if (ssl)
        return SSL_write(ssl, p, (int)n) == (int)n ? 0 : -1;
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p = (const char *)p + k;
        n -= (size_t)k;
    }
    return 0;
}

/* After sending: did the node close on us within 1.5 s? */
static int closed_by_peer(int fd, SSL *ssl)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    char b[64];
    if (poll(&pf, 1, 1500) <= 0)
        return 0;
    if (ssl)
        return SSL_read(ssl, b, sizeof b) <= 0;
    return recv(fd, b, sizeof b, 0) <= 0;
}

/* TLS mode: the acceptor answers TCP_ACK once it accepted the handshake
 * (certificate id == announced id); anything else is a refusal. */
static int acked(int fd, SSL *ssl)
{
    char b[TCP_ACK_LEN];
    size_t got = 0;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    while (got < sizeof b) {
        int k;
        if (SSL_pending(ssl) == 0 && poll(&pf, 1, 3000) <= 0)
            return 0;
        k = SSL_read(ssl, b + got, (int)(sizeof b - got));
        if (k <= 0)
            return 0;
        got += (size_t)k;
    }
    return memcmp(b, TCP_ACK, TCP_ACK_LEN) == 0;
}

static SSL_CTX *tls_ctx(const struct opts *o)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c || !SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) ||
        SSL_CTX_load_verify_locations(c, o->ca, NULL) != 1 ||
        (o->cert && (SSL_CTX_use_certificate_chain_file(c, o->cert) != 1 ||
                     SSL_CTX_use_PrivateKey_file(c, o->key, SSL_FILETYPE_PEM) != 1))) {
        SSL_CTX_free(c);
        return NULL;
    }
    /* The attacker does not care who the node is: only the node's checks
     * are under test. */
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
    return c;
}

static int refused(const char *why)
{
    printf("refused: %s\n", why);
    return 3;
}

static int attack(const struct opts *o, const struct skv_buf *w)
{
    unsigned char hs[TCP_HANDSHAKE_LEN], len[4];
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = dial(o->to), rc;
    if (fd < 0)
        return fprintf(stderr, "skv_attack: cannot connect to %s\n", o->to), 1;
    if (!o->plain) {
        if (!(ctx = tls_ctx(o)) || !(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, fd))
            return fprintf(stderr, "skv_attack: TLS setup failed\n"), 1;
        if (SSL_connect(ssl) != 1) {
            rc = refused("TLS handshake failed");
            goto out;
        }
    }
    tcp_handshake_encode(hs, o->plain ? TCP_PROTO_PLAIN : TCP_PROTO_TLS, o->id);
    tcp_frame_put_u32(len, (uint32_t)w->len);
    if (send_all(fd, ssl, hs, sizeof hs)) {
        rc = refused("connection closed while sending the handshake");
        goto out;
    }
    if (ssl && !acked(fd, ssl)) {
        rc = refused("the node did not accept the handshake");
        goto out;
    }
    if (send_all(fd, ssl, len, 4) || send_all(fd, ssl, w->p, w->len)) {
        rc = refused("connection closed while sending");
        goto out;
    }
    if (closed_by_peer(fd, ssl)) {
        rc = refused("the node closed the connection");
        goto out;
    }
    printf("sent\n");
    rc = 0;
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct skv_buf w = {0};
    int rc;
    if (parse_args(argc, argv, &o) != 0)
        return usage();
    signal(SIGPIPE, SIG_IGN); /* a refusing node closes while we write */
    if (build_frame(&o, &w) != 0) {
        skv_buf_free(&w);
        return usage();
    }
    rc = attack(&o, &w);
    skv_buf_free(&w);
    return rc;
}
