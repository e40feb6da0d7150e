/* SPDX-License-Identifier: MIT */
/*
 * hostport.h — a node address, host:port or [IPv6]:port, read the one
 * way both its checkers read it: members.add (admin/member_addr.c) and
 * `sealkv cert` (cli/cert_ident.c, which turns the host into a SAN).
 * Port: decimal 1..65535, no sign, no leading zero. Host: an IPv4
 * literal, a bracketed IPv6 literal, or an RFC 1123 host name (labels of
 * 1..63 letters, digits and '-', not starting or ending with '-', at most
 * 253 bytes, not all digits).
 */
#ifndef SKV_HOSTPORT_H
#define SKV_HOSTPORT_H

#include <stddef.h>

enum skv_hostport_rc {
    SKV_HOSTPORT_OK = 0,
    SKV_HOSTPORT_V6_BRACKETS, /* an IPv6 host without [] or a bad ']:' */
    SKV_HOSTPORT_NO_PORT,
    SKV_HOSTPORT_BAD_PORT,
    SKV_HOSTPORT_EMPTY_HOST,
    SKV_HOSTPORT_HOST_TOO_LONG,
    SKV_HOSTPORT_BAD_V6,      /* bracketed, but not an IPv6 literal */
    SKV_HOSTPORT_BAD_HOST     /* neither an IPv4 literal nor a host name */
};

enum skv_host_kind { SKV_HOST_IP = 1, SKV_HOST_NAME };

struct skv_hostport {
    char host[256];  /* the host, brackets stripped, NUL-terminated */
    int kind;        /* enum skv_host_kind, once parsed */
};

/* Parse `addr` into *hp. `letter_needed`: a host name must hold a letter
 * (members.add: a name of digits and '-' is refused); 0: any non-digit
 * will do (`sealkv cert`). */
enum skv_hostport_rc skv_hostport_parse(const char *addr, int letter_needed,
                                        struct skv_hostport *hp);

/* The phrase for a refusal ("port must be a number in 1..65535 ..."). */
const char *skv_hostport_problem(enum skv_hostport_rc rc);

#endif /* SKV_HOSTPORT_H */
