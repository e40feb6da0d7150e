/* SPDX-License-Identifier: MIT */
/*
 * cert_ident.c — validation of node ids, client names and node addresses
 * for `sealkv cert`, and the SAN entry an address's host becomes.
 */
#include "cli/cert_ident.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *skv_cert_node_id_problem(const char *s)
{
    uint64_t v = 0;
    size_t i, n = strlen(s);

    if (n == 0 || s[strspn(s, "0123456789")] != '\0')
        return "not a decimal number";
    if (s[0] == '0')
        return n == 1 ? "must be greater than 0" : "leading zeros are not allowed";
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return "larger than 2^64-1";
        v = v * 10 + d;
    }
    return NULL;
}

const char *skv_cert_client_name_problem(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789._-";
    size_t n = strlen(s);

    if (n == 0 || n > SKV_CERT_NAME_MAX)
        return "must be 1 to 64 characters";
    if (s[strspn(s, ok)] != '\0')
        return "only A-Z, a-z, 0-9, '.', '_' and '-' are allowed";
    return NULL;
}

/* Port: decimal 1..65535, no sign, no leading zeros. */
static int port_ok(const char *p)
{
    size_t n = strlen(p);
    unsigned long v = 0;
    size_t i;

    if (n == 0 || n > 5 || p[strspn(p, "0123456789")] != '\0' || p[0] == '0')
        return 0;
    for (i = 0; i < n; i++)
        v = v * 10 + (unsigned long)(p[i] - '0');
    return v <= 65535;
}

/* A DNS name: dot-separated labels of [A-Za-z0-9-], 1..63 each, no
 * leading or trailing '-', at most 253 characters, not all digits. */
static int dns_ok(const char *h, size_t n)
{
    size_t i, label = 0;
    int alpha = 0;

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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
        if ((c == '-' && label == 0) || ++label > 63)
            return 0;
        alpha |= !(c >= '0' && c <= '9');
    }
    return label > 0 && h[n - 1] != '-' && alpha;
}

const char *skv_cert_addr_san(const char *addr, char *san, size_t len)
{
    char host[256];
    const char *colon, *h = addr;
    size_t hn;
    unsigned char bin[16];
    int w;

    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return "IPv6 addresses are written [host]:port, e.g. [::1]:7101";
        h = addr + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return "missing ':port'";
        hn = (size_t)(colon - addr);
        if (memchr(addr, ':', hn))
            return "IPv6 addresses are written [host]:port, e.g. [::1]:7101";
    }
    if (!port_ok(colon + 1))
        return "port must be a number in 1..65535 without leading zeros";
    if (hn == 0 || hn >= sizeof host)
        return hn ? "host is too long" : "empty host";
    memcpy(host, h, hn);
    host[hn] = '\0';
    if (addr[0] == '[') {
        if (inet_pton(AF_INET6, host, bin) != 1)
            return "not a valid IPv6 address";
        w = snprintf(san, len, "IP:%s", host);
    } else if (inet_pton(AF_INET, host, bin) == 1) {
        w = snprintf(san, len, "IP:%s", host);
    } else if (dns_ok(host, hn)) {
        w = snprintf(san, len, "DNS:%s", host);
    } else {
        return "host is neither an IPv4 address nor a DNS name";
    }
    return w < 0 || (size_t)w >= len ? "host is too long" : NULL;
}
