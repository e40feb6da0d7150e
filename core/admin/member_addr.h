/* SPDX-License-Identifier: MIT */
/*
 * member_addr.h — the strict check of a member address given to
 * members.add: host:port with port 1..65535, host an IPv4 literal, a
 * bracketed IPv6 literal or an RFC 1123 host name, bounded length.
 */
#ifndef SKV_MEMBER_ADDR_H
#define SKV_MEMBER_ADDR_H

/* Longest accepted address: a 253-byte host name + ":65535". */
#define SKV_MEMBER_ADDR_MAX 259

/* NULL if `addr` is acceptable, else a static phrase saying what is wrong
 * (e.g. "port must be a number in 1..65535"). */
const char *skv_member_addr_problem(const char *addr);

#endif
