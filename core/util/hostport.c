/* SPDX-License-Identifier: MIT */
/*
 * hostport.c — host:port parsing and checks (see hostport.h).
 */
#include "util/hostport.h"

#include <arpa/inet.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int port_ok(const char *p)
{
    unsigned long v = 0;
    size_t i, n = strlen(p);
    if (n == 0 || n > 5 || p[0] == '0')
        return 0;
    for (i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return 0;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v <= 65535;
}

static int name_ok(const char *h, size_t n, int letter_needed)
{
    size_t i, label = 0;
    int named = 0;   /* a letter (or, unless letter_needed, a '-') seen */
    if (n == 0 || n > 253)
        return 0;
    for (i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-'))
            return 0;
        if ((c == '-' && label == 0) || ++label > 63)
            return 0;
        named |= !is_digit(c) && (c != '-' || !letter_needed);
    }
    return label > 0 && h[n - 1] != '-' && named;
}

enum skv_hostport_rc skv_hostport_parse(const char *addr, int letter_needed,
                                        struct skv_hostport *hp)
{
    const char *colon, *h = addr;
    size_t n;
    unsigned char bin[16];
    int v6 = addr[0] == '[';
    if (v6) {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return SKV_HOSTPORT_V6_BRACKETS;
        h = addr + 1;
        n = (size_t)(close - h);
        colon = close + 1;
    } else {
        if (!(colon = strrchr(addr, ':')))
            return SKV_HOSTPORT_NO_PORT;
        n = (size_t)(colon - addr);
        if (memchr(addr, ':', n))
            return SKV_HOSTPORT_V6_BRACKETS;
    }
    if (!port_ok(colon + 1))
        return SKV_HOSTPORT_BAD_PORT;
    if (n == 0)
        return SKV_HOSTPORT_EMPTY_HOST;
    if (n >= sizeof hp->host)
        return SKV_HOSTPORT_HOST_TOO_LONG;
    memcpy(hp->host, h, n);
    hp->host[n] = '\0';
    hp->kind = SKV_HOST_IP;
    if (v6)
        return inet_pton(AF_INET6, hp->host, bin) == 1 ? SKV_HOSTPORT_OK : SKV_HOSTPORT_BAD_V6;
    if (inet_pton(AF_INET, hp->host, bin) == 1)
        return SKV_HOSTPORT_OK;
    hp->kind = SKV_HOST_NAME;
    return name_ok(hp->host, n, letter_needed) ? SKV_HOSTPORT_OK : SKV_HOSTPORT_BAD_HOST;
}

const char *skv_hostport_problem(enum skv_hostport_rc rc)
{
    switch (rc) {
    case SKV_HOSTPORT_OK: return NULL;
    case SKV_HOSTPORT_V6_BRACKETS: return "IPv6 addresses are written [host]:port, e.g. [::1]:7101";
    case SKV_HOSTPORT_NO_PORT: return "missing ':port'";
    case SKV_HOSTPORT_BAD_PORT: return "port must be a number in 1..65535 without leading zeros";
    case SKV_HOSTPORT_EMPTY_HOST: return "empty host";
    case SKV_HOSTPORT_HOST_TOO_LONG: return "host is too long";
    case SKV_HOSTPORT_BAD_V6: return "not a valid IPv6 address";
    case SKV_HOSTPORT_BAD_HOST: return "host is neither an IPv4 address nor a host name";
    }
    return "bad address";
}
