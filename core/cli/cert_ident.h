/* SPDX-License-Identifier: MIT */
/*
 * cert_ident.h — the identities sealkv certificates carry, and the
 * validation of what `sealkv cert` is given for them (issue 11 item 2).
 *
 * A node's identity is exactly one subjectAltName URI
 * "urn:sealkv:node:<ID>" (ID: decimal u64 > 0, no leading zeros); a
 * client's is "urn:sealkv:client:<NAME>" (NAME: [A-Za-z0-9._-]{1,64}).
 * A node certificate also names the host of its address (SAN IP or DNS).
 */
#ifndef SKV_CERT_IDENT_H
#define SKV_CERT_IDENT_H

#include <stddef.h>

#define SKV_CERT_NODE_URN "urn:sealkv:node:"
#define SKV_CERT_CLIENT_URN "urn:sealkv:client:"
#define SKV_CERT_NAME_MAX 64

/* NULL when s is a valid node id, else why not. */
const char *skv_cert_node_id_problem(const char *s);

/* NULL when s is a valid client name, else why not. */
const char *skv_cert_client_name_problem(const char *s);

/* Validate ADDR (host:port, IPv6 as [h]:port) and write the SAN entry
 * for its host ("IP:1.2.3.4", "IP:::1" or "DNS:name") into san.
 * NULL on success, else why ADDR is not acceptable. */
const char *skv_cert_addr_san(const char *addr, char *san, size_t len);

#endif
