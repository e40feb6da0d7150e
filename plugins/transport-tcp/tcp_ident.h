/* SPDX-License-Identifier: MIT */
/*
 * tcp_ident.h — the node identity a transport certificate binds: exactly
 * one subjectAltName URI, "urn:sealkv:node:<id>" (<id>: decimal u64 > 0,
 * no leading zeros, no sign). A pure function of the certificate, so it
 * can be unit tested and fuzzed (tests/fuzz/fuzz_tcp_handshake.c).
 */
#ifndef SKV_TCP_IDENT_H
#define SKV_TCP_IDENT_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_IDENT_NODE_URN "urn:sealkv:node:"
#define TCP_IDENT_CLIENT_URN "urn:sealkv:client:"

/* Parse the decimal node id in `s` (`len` bytes, not NUL-terminated):
 * 0 and *id set, or -1. */
int tcp_ident_parse_id(const char *s, size_t len, uint64_t *id);

/* The node id `cert` carries: 0 and *id set, or -1 with the reason in
 * `why` (e.g. a client certificate, no URI, two URIs, a bad id). */
int tcp_ident_node_id(X509 *cert, uint64_t *id, char *why, size_t whylen);

#endif
