/* SPDX-License-Identifier: MIT */
/*
 * cert_ident.c — validation of node ids, client names and node addresses
 * for `sealkv cert`, and the SAN entry an address's host becomes.
 */
#include "cli/cert_ident.h"
#include "util/hostport.h"

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

const char *skv_cert_addr_san(const char *addr, char *san, size_t len)
{
    struct skv_hostport hp;
    enum skv_hostport_rc rc = skv_hostport_parse(addr, 0, &hp);
    int w;
    if (rc == SKV_HOSTPORT_BAD_HOST)
        return "host is neither an IPv4 address nor a DNS name";
    if (rc != SKV_HOSTPORT_OK)
        return skv_hostport_problem(rc);
    w = snprintf(san, len, "%s:%s", hp.kind == SKV_HOST_NAME ? "DNS" : "IP", hp.host);
    return w < 0 || (size_t)w >= len ? "host is too long" : NULL;
}
