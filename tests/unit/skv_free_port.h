/* SPDX-License-Identifier: MIT */
/*
 * skv_free_port.h — the tests' one way to find free TCP ports on
 * 127.0.0.1 for servers they start. Used by the CUnit suites
 * (skv_test_free_port) and by tests/integration/freeport.c, which lib.sh
 * and bench/lib.sh run.
 *
 * Two ways a port that was free when chosen gets taken before (or while)
 * a test's server binds it, both seen as rare CI failures when a test
 * restarts nodes:
 *  - the kernel hands ports of its ephemeral range to outgoing
 *    connections (every curl, every peer dial): a node that is down for a
 *    moment can find its port held by some connection's source port. So
 *    ports are chosen OUTSIDE net.ipv4.ip_local_port_range (below it, or
 *    above it), never by binding port 0.
 *  - a test running at the same time can choose the port of another
 *    test's node while that node is stopped. So every chosen port is
 *    recorded in a registry, ${TMPDIR:-/tmp}/skv-ports/PORT holding the
 *    owner's PID (the test script), and no port is handed out while its
 *    owner lives; allocation holds an flock on the registry.
 */
#ifndef SKV_FREE_PORT_H
#define SKV_FREE_PORT_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The ports we may choose from: [*lo, *hi], outside the ephemeral range. */
static inline void skv_test_port_range(unsigned *lo, unsigned *hi)
{
    unsigned elo = 32768, ehi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%u %u", &elo, &ehi) != 2)
            elo = 32768, ehi = 60999;
        fclose(f);
    }
    if (elo >= 12000) {            /* below the ephemeral range */
        *lo = elo > 22000 ? elo - 12000 : 10000;
        *hi = elo - 1;
    } else if (ehi <= 63000) {     /* above it */
        *lo = ehi + 1;
        *hi = 65535;
    } else {                       /* no room: the registry still helps */
        *lo = 10000;
        *hi = 65535;
    }
}

/* Whether 127.0.0.1:port can be bound right now (no SO_REUSEADDR: a port
 * with a TIME_WAIT socket on it counts as taken). */
static inline int skv_test_port_bindable(unsigned port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;
    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((unsigned short)port);
    ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Whether the registry says `port` belongs to a live process. */
static inline int skv_test_port_owned(const char *dir, unsigned port)
{
    char path[512], buf[32];
    ssize_t n;
    long pid;
    int fd;
    snprintf(path, sizeof path, "%s/%u", dir, port);
    if ((fd = open(path, O_RDONLY)) < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    pid = strtol(buf, NULL, 10);
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static inline int skv_test_port_record(const char *dir, unsigned port, long owner)
{
    char path[512], buf[32];
    int fd, len, ok;
    snprintf(path, sizeof path, "%s/%u", dir, port);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
        return -1;
    len = snprintf(buf, sizeof buf, "%ld\n", owner);
    ok = write(fd, buf, (size_t)len) == len;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* Choose n distinct ports for `owner` (a PID that lives as long as the
 * ports are in use), record them, write them to out[]. 0, or -1 with
 * errno set. */
static inline int skv_test_reserve_ports(unsigned n, long owner, unsigned *out)
{
    char dir[400], lock[420];
    const char *tmp = getenv("TMPDIR");
    unsigned lo, hi, span, start, i, got = 0;
    int lfd, rc = 0;
    snprintf(dir, sizeof dir, "%s/skv-ports", tmp && *tmp ? tmp : "/tmp");
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return -1;
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    if ((lfd = open(lock, O_RDWR | O_CREAT, 0666)) < 0)
        return -1;
    if (flock(lfd, LOCK_EX) != 0) {
        close(lfd);
        return -1;
    }
    skv_test_port_range(&lo, &hi);
    span = hi - lo + 1;
    start = (unsigned)(((unsigned long)getpid() * 7919u + (unsigned long)time(NULL)) % span);
    for (i = 0; i < span && got < n; i++) {
        unsigned p = lo + (start + i) % span;
        if (skv_test_port_owned(dir, p) || !skv_test_port_bindable(p))
            continue;
        if (skv_test_port_record(dir, p, owner) != 0) {
            rc = -1;
            break;
        }
        out[got++] = p;
    }
    if (rc == 0 && got < n) {
        errno = EADDRINUSE;
        rc = -1;
    }
    flock(lfd, LOCK_UN);
    close(lfd);
    return rc;
}

/* One free port for a server this process starts (owner: this process);
 * 0 on failure. */
static inline unsigned skv_test_free_port(void)
{
    unsigned p;
    return skv_test_reserve_ports(1, (long)getpid(), &p) == 0 ? p : 0;
}

#endif /* SKV_FREE_PORT_H */
