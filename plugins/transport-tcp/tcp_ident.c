/* SPDX-License-Identifier: MIT */
/*
 * tcp_ident.c — reads the node id out of a certificate's subjectAltName
 * URIs (tcp_ident.h has the rule). Owns nothing but that parse.
 */
#include "tcp_ident.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

int tcp_ident_parse_id(const char *s, size_t len, uint64_t *id)
{
    uint64_t v = 0;
    size_t i;
    if (len == 0 || len > 20 || s[0] == '0')
        return -1;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *id = v;
    return 0;
}

static int starts(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/* Look at one URI; counts node and client URNs, remembers the node one. */
static int one_uri(const ASN1_IA5STRING *u, const char **node, size_t *nlen,
                   unsigned *n_node, unsigned *n_client, unsigned *n_other)
{
    const char *s = (const char *)ASN1_STRING_get0_data(u);
    int len = ASN1_STRING_length(u);
    if (!s || len < 0 || memchr(s, '\0', (size_t)len))
        return -1; /* embedded NUL: never trust it */
    if (starts(s, (size_t)len, TCP_IDENT_NODE_URN)) {
        (*n_node)++;
        *node = s + strlen(TCP_IDENT_NODE_URN);
        *nlen = (size_t)len - strlen(TCP_IDENT_NODE_URN);
    } else if (starts(s, (size_t)len, TCP_IDENT_CLIENT_URN)) {
        (*n_client)++;
    } else {
        (*n_other)++;
    }
    return 0;
}

int tcp_ident_node_id(X509 *cert, uint64_t *id, char *why, size_t whylen)
{
    GENERAL_NAMES *san;
    const char *node = NULL;
    size_t nlen = 0;
    unsigned n_node = 0, n_client = 0, n_other = 0, bad = 0;
    int i, crit = 0, rc = -1;
    san = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
    if (!san) {
        snprintf(why, whylen, "certificate has no subjectAltName (no "
                 "node identity %s<id>)", TCP_IDENT_NODE_URN);
        return -1;
    }
    for (i = 0; i < sk_GENERAL_NAME_num(san); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
        if (g->type == GEN_URI &&
            one_uri(g->d.uniformResourceIdentifier, &node, &nlen, &n_node,
                    &n_client, &n_other) != 0)
            bad++;
    }
    if (bad)
        snprintf(why, whylen, "certificate has a malformed SAN URI");
    else if (n_client && !n_node)
        snprintf(why, whylen, "a client certificate (%s...), not a node "
                 "certificate", TCP_IDENT_CLIENT_URN);
    else if (n_node + n_client + n_other == 0)
        snprintf(why, whylen, "certificate has no node identity (SAN URI "
                 "%s<id>)", TCP_IDENT_NODE_URN);
    else if (n_node != 1 || n_client + n_other != 0)
        snprintf(why, whylen, "certificate must carry exactly one SAN URI "
                 "(%s<id>); it has %u", TCP_IDENT_NODE_URN,
                 n_node + n_client + n_other);
    else if (tcp_ident_parse_id(node, nlen, id) != 0)
        snprintf(why, whylen, "certificate's node id is not a decimal "
                 "number in 1..2^64-1 without leading zeros");
    else
        rc = 0;
    GENERAL_NAMES_free(san);
    return rc;
}
