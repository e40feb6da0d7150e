/* SPDX-License-Identifier: MIT */
/*
 * member_addr.c — skv_member_addr_problem (see member_addr.h): refuses an
 * address before a membership change is proposed, so a member that no
 * transport can reach never enters the configuration.
 */
#include "admin/member_addr.h"

#include <arpa/inet.h>
#include <string.h>

/* 1..65535, decimal, no sign, no leading zero. */
static int port_ok(const char *p)
{
    unsigned long v = 0;
    size_t i, n = strlen(p);
    if (n == 0 || n > 5 || p[0] == '0')
        return 0;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v <= 65535;
}

static int alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 1123: dot-separated labels of 1..63 letters, digits, '-', not
 * starting or ending with '-'; at most 253 bytes; not all-numeric (an
 * all-numeric name would be a mistyped IPv4 literal). */
static int hostname_ok(const char *h, size_t n)
{
    size_t i, label = 0;
    int alpha = 0;
    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++) {
        if (h[i] == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!alnum(h[i]) && h[i] != '-')
            return 0;
        if (h[i] == '-' && label == 0)
            return 0;
        if (!(h[i] >= '0' && h[i] <= '9') && h[i] != '-')
            alpha = 1;
        if (++label > 63)
            return 0;
    }
    return label > 0 && h[n - 1] != '-' && alpha;
}

/* The host part h[0..n) (brackets stripped when v6). */
static const char *host_problem(const char *h, size_t n, int v6)
{
    char buf[256];
    unsigned char bin[16];
    if (n == 0)
        return "empty host";
    if (n >= sizeof buf)
        return "host is too long";
    memcpy(buf, h, n);
    buf[n] = '\0';
    if (v6)
        return inet_pton(AF_INET6, buf, bin) == 1 ? NULL : "not a valid IPv6 address";
    if (inet_pton(AF_INET, buf, bin) == 1)
        return NULL;
    return hostname_ok(buf, n) ? NULL
                               : "host is neither an IPv4 address nor a valid host name";
}

const char *skv_member_addr_problem(const char *addr)
{
    const char *colon, *h = addr;
    size_t len = strlen(addr);
    int v6 = addr[0] == '[';
    if (len == 0)
        return "empty address";
    if (len > SKV_MEMBER_ADDR_MAX)
        return "address is too long (at most 259 bytes)";
    if (v6) {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return "IPv6 addresses are written [host]:port, e.g. [::1]:7101";
        h = addr + 1;
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return "missing ':port' (expected host:port)";
        if (memchr(addr, ':', (size_t)(colon - addr)))
            return "IPv6 addresses are written [host]:port, e.g. [::1]:7101";
    }
    if (!port_ok(colon + 1))
        return "port must be a number in 1..65535 without leading zeros";
    return host_problem(h, (size_t)((v6 ? colon - 1 : colon) - h), v6);
}
