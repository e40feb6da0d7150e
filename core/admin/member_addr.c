/* SPDX-License-Identifier: MIT */
/*
 * member_addr.c — skv_member_addr_problem (see member_addr.h): refuses an
 * address before a membership change is proposed, so a member that no
 * transport can reach never enters the configuration.
 */
#include "admin/member_addr.h"
#include "util/hostport.h"

#include <string.h>

const char *skv_member_addr_problem(const char *addr)
{
    struct skv_hostport hp;
    enum skv_hostport_rc rc;
    size_t len = strlen(addr);
    if (len == 0)
        return "empty address";
    if (len > SKV_MEMBER_ADDR_MAX)
        return "address is too long (at most 259 bytes)";
    rc = skv_hostport_parse(addr, 1, &hp);
    if (rc == SKV_HOSTPORT_NO_PORT)
        return "missing ':port' (expected host:port)";
    if (rc == SKV_HOSTPORT_BAD_HOST)
        return "host is neither an IPv4 address nor a valid host name";
    return skv_hostport_problem(rc);
}
