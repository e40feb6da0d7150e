/* SPDX-License-Identifier: MIT */
/*
 * test_member_checks.c — the checks a membership change passes before it
 * is proposed: skv_member_addr_problem (host:port forms), the members.add
 * body parser (field named in each refusal), member id parsing, voter
 * counting.
 */
#include "skv_test.h"
#include "admin/member_addr.h"
#include "admin/member_check.h"

static void test_addr_ok(void)
{
    static const char *const ok[] = {
        "127.0.0.1:7101", "10.0.0.1:1", "0.0.0.0:65535", "[::1]:7101",
        "[2001:db8::7]:7101", "node1:7101", "n-1.example.com:7101",
        "a.b.c.d.e:80", "x:443",
    };
    size_t i;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *p = skv_member_addr_problem(ok[i]);
        if (p)
            fprintf(stderr, "%s: %s\n", ok[i], p);
        CU_ASSERT_PTR_NULL(p);
    }
}

static void test_addr_bad(void)
{
    static const char *const bad[] = {
        "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:65536",
        "127.0.0.1:07101", "127.0.0.1:+80", "127.0.0.1:80x", ":7101", "::1:7101", "[::1:7101",
        "[::1]7101", "[zz::1]:7101", "[]:7101", "300.1.1.1:80", "1.2.3:80", "bad host:80",
        "-x.example:80", "x-.example:80", "a..b:80", ".a:80", "a.:80", "h_st:80", "h\n:80",
        "héllo:80",
    };
    char longhost[300];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!skv_member_addr_problem(bad[i]))
            fprintf(stderr, "accepted: '%s'\n", bad[i]);
        CU_ASSERT_PTR_NOT_NULL(skv_member_addr_problem(bad[i]));
    }
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost + 250, ":80", 4);           /* 250-byte label: > 63 */
    CU_ASSERT_PTR_NOT_NULL(skv_member_addr_problem(longhost));
    memset(longhost, 'a', sizeof longhost);
    for (i = 63; i < 290; i += 64)
        longhost[i] = '.';
    memcpy(longhost + 290, ":80", 4);           /* 290-byte host name */
    CU_ASSERT_PTR_NOT_NULL(skv_member_addr_problem(longhost));
}

/* parse `json`; expect success, or failure whose message starts with `field` */
static void parse_expect(const char *json, const char *field)
{
    struct skv_member_req r;
    char buf[300], why[200] = "";
    int rc = skv_member_parse_add(json, &r, buf, sizeof buf, why, sizeof why);
    if (!field) {
        CU_ASSERT_EQUAL(rc, 0);
        return;
    }
    CU_ASSERT_EQUAL(rc, -1);
    if (strncmp(why, field, strlen(field)) != 0)
        fprintf(stderr, "%s -> '%s' (expected '%s...')\n", json, why, field);
    CU_ASSERT_EQUAL(strncmp(why, field, strlen(field)), 0);
}

static void test_parse_add(void)
{
    struct skv_member_req r;
    char buf[300], why[200];
    CU_ASSERT_EQUAL(skv_member_parse_add("{\"id\":7,\"address\":\"127.0.0.1:7107\",\"role\":\"standby\"}",
                                         &r, buf, sizeof buf, why, sizeof why), 0);
    CU_ASSERT_EQUAL(r.id, 7);
    CU_ASSERT_EQUAL(r.role, RAFT_STANDBY);
    CU_ASSERT_STRING_EQUAL(r.address, "127.0.0.1:7107");
    parse_expect("{\"id\":7,\"address\":\"127.0.0.1:7107\"}", NULL);   /* voter by default */
    parse_expect("{\"id\":7,\"address\":\"127.0.0.1:99999\"}", "address:");
    parse_expect("{\"id\":0,\"address\":\"127.0.0.1:1\"}", "id:");
    parse_expect("{\"id\":-1,\"address\":\"127.0.0.1:1\"}", "id:");
    parse_expect("{\"id\":1.5,\"address\":\"127.0.0.1:1\"}", "id:");
    parse_expect("{\"address\":\"127.0.0.1:1\"}", "id:");
    parse_expect("{\"id\":7}", "address:");
    parse_expect("{\"id\":7,\"address\":null}", "address:");
    parse_expect("{\"id\":7,\"address\":\"127.0.0.1:1\",\"role\":\"spare\"}", "role:");
    parse_expect("{\"id\":7,\"address\":\"127.0.0.1:1\",\"role\":1}", "role:");
    parse_expect("{\"id\":7,\"address\":\"127.0.0.1:1\",\"x\":1}", "x:");
    parse_expect("{\"id\":7,\"id\":8,\"address\":\"127.0.0.1:1\"}", "body:");
    parse_expect("[1]", "body:");
    parse_expect("{", "body:");
    parse_expect(NULL, "body:");
    /* the address is echoed printable only */
    CU_ASSERT_EQUAL(skv_member_parse_add("{\"id\":7,\"address\":\"a\\u0001\\\"b:1\"}", &r, buf,
                                         sizeof buf, why, sizeof why), -1);
    CU_ASSERT_PTR_NULL(strchr(why, '\001'));
    /* too small a buffer for a valid address is refused, not truncated */
    CU_ASSERT_EQUAL(skv_member_parse_add("{\"id\":7,\"address\":\"127.0.0.1:7107\"}", &r, buf, 5,
                                         why, sizeof why), -1);
}

static void test_parse_id(void)
{
    uint64_t id = 0;
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"42", 2, &id), 0);
    CU_ASSERT_EQUAL(id, 42);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"18446744073709551615", 20, &id), 0);
    CU_ASSERT_EQUAL(id, UINT64_MAX);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"18446744073709551616", 20, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"0", 1, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"07", 2, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"-1", 2, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)" 1", 2, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"1x", 2, &id), -1);
    CU_ASSERT_EQUAL(skv_member_parse_id((const uint8_t *)"", 0, &id), -1);
}

static void test_voters(void)
{
    struct raft_configuration c;
    raft_configuration_init(&c);
    CU_ASSERT_EQUAL(skv_member_voters(&c), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&c, 1, "127.0.0.1:1", RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&c, 2, "127.0.0.1:2", RAFT_STANDBY), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&c, 3, "127.0.0.1:3", RAFT_SPARE), 0);
    CU_ASSERT_EQUAL(skv_member_voters(&c), 1);
    CU_ASSERT_PTR_NOT_NULL(skv_member_find(&c, 2));
    CU_ASSERT_PTR_NULL(skv_member_find(&c, 4));
    CU_ASSERT_EQUAL(skv_member_find_addr(&c, "127.0.0.1:3")->id, 3);
    CU_ASSERT_PTR_NULL(skv_member_find_addr(&c, "127.0.0.1:4"));
    raft_configuration_close(&c);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("member_checks", NULL, NULL);
    CU_add_test(s, "addresses accepted", test_addr_ok);
    CU_add_test(s, "addresses refused", test_addr_bad);
    CU_add_test(s, "members.add body", test_parse_add);
    CU_add_test(s, "member ids", test_parse_id);
    CU_add_test(s, "voters and lookups", test_voters);
    return skv_test_run();
}
