/* SPDX-License-Identifier: MIT */
/*
 * member_check.h — the checks a membership change passes before anything
 * is proposed: the members.add request (id, address, role), member ids in
 * paths, and lookups in the latest configuration (membership, roles,
 * voter count).
 */
#ifndef SKV_MEMBER_CHECK_H
#define SKV_MEMBER_CHECK_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

struct skv_member_req {
    uint64_t id;
    int role;                    /* RAFT_VOTER or RAFT_STANDBY */
    const char *address;         /* points into the caller's buffer */
};

/* Parse and validate a members.add JSON body into `out` (address copied
 * to addr_buf). 0, or -1 with `why` naming the offending field. */
int skv_member_parse_add(const char *json, struct skv_member_req *out, char *addr_buf,
                         size_t addr_len, char *why, size_t why_len);

/* Parse a member id path argument: decimal u64 > 0. 0 or -1. */
int skv_member_parse_id(const uint8_t *arg, size_t len, uint64_t *id);

/* The server with this id / address in the configuration, or NULL. */
const struct raft_server *skv_member_find(const struct raft_configuration *c, uint64_t id);
const struct raft_server *skv_member_find_addr(const struct raft_configuration *c,
                                               const char *address);

/* Number of voters. */
unsigned skv_member_voters(const struct raft_configuration *c);

const char *skv_member_role_name(int role);

#endif
