/* SPDX-License-Identifier: MIT */
/*
 * check_net.c — the transport and admin kinds: required ops present,
 * start on a free loopback port (transport: 127.0.0.1:<free port>; admin:
 * the address in its own options, e.g. --option listen=127.0.0.1:PORT),
 * security() reports only known bits, stop.
 */
#include "check.h"

#include <sealkv/admin.h>
#include <sealkv/transport.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

unsigned chk_free_port(struct chk *c)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    unsigned port = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    if (!port)
        chk_fail(c, "no free TCP port on 127.0.0.1");
    return port;
}

void chk_transport(struct chk *c, void *state)
{
    const struct skv_transport_ops *o = c->desc->ops;
    const uint32_t known = SKV_TRANSPORT_SEC_AUTHENTICATED | SKV_TRANSPORT_SEC_ENCRYPTED;
    struct skv_err e;
    char addr[32];
    unsigned port;
    int rc;
    if (!chk_expect(c, o->struct_size >= offsetof(struct skv_transport_ops, forget) &&
                           o->start && o->send && o->stop,
                    "transport ops table smaller than 1.0 or a required op is NULL"))
        return;
    if (!(port = chk_free_port(c)))
        return;
    snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
    memset(&e, 0, sizeof e);
    rc = o->start(state, addr, &e);
    if (!chk_expect(c, rc == SKV_OK, "start(%s): %s (%s)", addr, skv_strerror(rc), e.msg))
        return;
    if (SKV_HAS(o, struct skv_transport_ops, security))
        chk_expect(c, (o->security(state) & ~known) == 0, "security() reports unknown bits 0x%x",
                   o->security(state) & ~known);
    o->stop(state);
    chk_ok(c, "start on %s, stop", addr);
}

void chk_admin(struct chk *c, void *state)
{
    const struct skv_admin_ops *o = c->desc->ops;
    struct skv_err e;
    int rc;
    if (!chk_expect(c, o->struct_size >= offsetof(struct skv_admin_ops, reload) && o->start &&
                           o->stop,
                    "admin ops table smaller than 1.0 or a required op is NULL"))
        return;
    memset(&e, 0, sizeof e);
    rc = o->start(state, &e);
    if (!chk_expect(c, rc == SKV_OK, "start: %s (%s)", skv_strerror(rc), e.msg))
        return;
    o->stop(state);
    chk_ok(c, "start, stop");
}
