/* SPDX-License-Identifier: MIT */
/*
 * skv_free_port.h — the tests' one way to find a free TCP port on
 * 127.0.0.1: bind to port 0 and ask the kernel which port it chose. Used
 * by the CUnit suites (skv_test_free_port) and by tests/integration/
 * freeport.c, which lib.sh runs (skv_test_bind_free: keeps each socket
 * open until all N ports are chosen, so they are distinct).
 */
#ifndef SKV_FREE_PORT_H
#define SKV_FREE_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A socket bound to a free port on 127.0.0.1, left open in *fd (the
 * caller closes it). The port, or 0 with *fd = -1 on failure. */
static inline unsigned skv_test_bind_free(int *fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd >= 0 && bind(*fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(*fd, (struct sockaddr *)&a, &len) == 0)
        return ntohs(a.sin_port);
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return 0;
}

/* A port nobody listens on right now (bound, then closed); 0 on failure. */
static inline unsigned skv_test_free_port(void)
{
    int fd;
    unsigned port = skv_test_bind_free(&fd);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif /* SKV_FREE_PORT_H */
