/* SPDX-License-Identifier: MIT */
/*
 * test_cert.c — `sealkv cert` (core/cli/cli_cert.c) end to end in-process:
 * the generated CA, node and client certificates parse, verify against
 * the CA with X509_verify_cert for the right TLS purposes, carry exactly
 * the identity URI SAN, the EKU, key usage and basic constraints of the
 * profile; keys are P-256, 0600; certificates 0644; nothing is
 * overwritten without --force; bad IDs, addresses and names are usage
 * errors that leave no file behind.
 */
#include "cli/cli_cert.h"

#include <dirent.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skv_test.h"

/* skv_cert_main("cert", "--dir", dir, args...); NULL-terminated args. */
static int cert(const char *dir, ...)
{
    char *argv[16];
    int argc = 0;
    const char *a;
    va_list ap;

    argv[argc++] = (char *)"cert";
    argv[argc++] = (char *)"--dir";
    argv[argc++] = (char *)dir;
    va_start(ap, dir);
    while ((a = va_arg(ap, const char *)) != NULL && argc < 15)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return skv_cert_main(argc, argv);
}

static char *path_of(const char *dir, const char *name)
{
    static __thread char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static X509 *load_crt(const char *dir, const char *name)
{
    FILE *f = fopen(path_of(dir, name), "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static EVP_PKEY *load_key(const char *dir, const char *name)
{
    FILE *f = fopen(path_of(dir, name), "r");
    EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return k;
}

static mode_t mode_of(const char *dir, const char *name)
{
    struct stat st;
    return lstat(path_of(dir, name), &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* Number of directory entries other than . and .. */
static int n_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return d ? n : -1;
}

/* X509_verify_cert of leaf against ca for one purpose: 1 verified. */
static int verifies(X509 *ca, X509 *leaf, int purpose)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = st && ctx && X509_STORE_add_cert(st, ca) == 1 &&
             X509_STORE_CTX_init(ctx, st, leaf, NULL) == 1 &&
             X509_STORE_CTX_set_purpose(ctx, purpose) == 1 && X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return ok;
}

/* The subject CN, in a static buffer. */
static const char *cn_of(X509 *x)
{
    static __thread char cn[256];
    cn[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    return cn;
}

/* SAN counts by type; the URI (if exactly one) into uri; first IP bytes. */
static void san_of(X509 *x, int *n_uri, int *n_ip, int *n_dns, char *uri, size_t urilen,
                   unsigned char ip[16], int *iplen)
{
    GENERAL_NAMES *gs = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int i;

    *n_uri = *n_ip = *n_dns = *iplen = 0;
    uri[0] = '\0';
    for (i = 0; gs && i < sk_GENERAL_NAME_num(gs); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(gs, i);
        if (g->type == GEN_URI && ++*n_uri == 1)
            snprintf(uri, urilen, "%.*s", ASN1_STRING_length(g->d.uniformResourceIdentifier),
                     (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
        if (g->type == GEN_IPADD && ++*n_ip == 1 && ASN1_STRING_length(g->d.iPAddress) <= 16) {
            *iplen = ASN1_STRING_length(g->d.iPAddress);
            memcpy(ip, ASN1_STRING_get0_data(g->d.iPAddress), (size_t)*iplen);
        }
        *n_dns += g->type == GEN_DNS;
    }
    GENERAL_NAMES_free(gs);
}

static void check_serial(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bn);
    CU_ASSERT(!BN_is_zero(bn) && !BN_is_negative(bn) && BN_num_bits(bn) <= 159);
    BN_free(bn);
}

/* base.key is P-256, 0600, and belongs to base.crt (0644). */
static void check_pair(const char *dir, const char *base)
{
    char kn[128], cn[128];
    EVP_PKEY *k;
    X509 *x;

    snprintf(kn, sizeof kn, "%s.key", base);
    snprintf(cn, sizeof cn, "%s.crt", base);
    CU_ASSERT_EQUAL(mode_of(dir, kn), 0600);
    CU_ASSERT_EQUAL(mode_of(dir, cn), 0644);
    k = load_key(dir, kn);
    x = load_crt(dir, cn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT(EVP_PKEY_is_a(k, "EC") && EVP_PKEY_get_bits(k) == 256);
    CU_ASSERT_EQUAL(X509_check_private_key(x, k), 1);
    check_serial(x);
    EVP_PKEY_free(k);
    X509_free(x);
}

static void test_ca(void)
{
    char *d = skv_test_tmpdir("cert");
    X509 *ca;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    umask(077); /* modes must not depend on the umask */
    CU_ASSERT_EQUAL(cert(d, "create-ca", NULL), 0);
    check_pair(d, "ca");
    ca = load_crt(d, "ca.crt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    CU_ASSERT_STRING_EQUAL(cn_of(ca), "sealkv cluster CA");
    CU_ASSERT_EQUAL(X509_check_ca(ca), 1);
    CU_ASSERT_EQUAL(X509_get_pathlen(ca), 0);
    CU_ASSERT_EQUAL(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    CU_ASSERT_PTR_NOT_NULL(X509_get0_subject_key_id(ca));
    CU_ASSERT_PTR_NOT_NULL(X509_get0_authority_key_id(ca));
    CU_ASSERT(X509_check_issued(ca, ca) == X509_V_OK);
    X509_free(ca);
    umask(022);
    skv_test_rmtree(d);
    free(d);
}

/* node-ID.crt: verified for both TLS purposes, one URI, one host SAN. */
static void check_node(const char *d, X509 *ca, const char *id, int want_ip_len,
                       int want_dns)
{
    char name[64], uri[128], want[128];
    unsigned char ip[16];
    int n_uri, n_ip, n_dns, iplen;
    X509 *x;

    snprintf(name, sizeof name, "node-%s.crt", id);
    x = load_crt(d, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT(verifies(ca, x, X509_PURPOSE_SSL_SERVER));
    CU_ASSERT(verifies(ca, x, X509_PURPOSE_SSL_CLIENT));
    san_of(x, &n_uri, &n_ip, &n_dns, uri, sizeof uri, ip, &iplen);
    snprintf(want, sizeof want, "urn:sealkv:node:%s", id);
    CU_ASSERT_EQUAL(n_uri, 1);
    CU_ASSERT_STRING_EQUAL(uri, want);
    CU_ASSERT_EQUAL(iplen, want_ip_len);
    CU_ASSERT_EQUAL(n_dns, want_dns);
    snprintf(want, sizeof want, "sealkv node %s", id);
    CU_ASSERT_STRING_EQUAL(cn_of(x), want);
    CU_ASSERT_EQUAL(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    CU_ASSERT_EQUAL(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    CU_ASSERT_EQUAL(X509_check_ca(x), 0);
    X509_free(x);
    snprintf(name, sizeof name, "node-%s", id);
    check_pair(d, name);
}

static void test_nodes(void)
{
    char *d = skv_test_tmpdir("cert");
    X509 *ca;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-ca", "--days", "30", NULL), 0);
    CU_ASSERT_EQUAL(cert(d, "create-node", "1", "127.0.0.1:7101", NULL), 0);
    CU_ASSERT_EQUAL(cert(d, "create-node", "2", "[::1]:7102", "--days=10", NULL), 0);
    CU_ASSERT_EQUAL(cert(d, "create-node", "18446744073709551615", "db-3.example:7103", NULL), 0);
    ca = load_crt(d, "ca.crt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    check_node(d, ca, "1", 4, 0);
    check_node(d, ca, "2", 16, 0);
    check_node(d, ca, "18446744073709551615", 0, 1);
    X509_free(ca);
    skv_test_rmtree(d);
    free(d);
}

static void test_client(void)
{
    char *d = skv_test_tmpdir("cert"), uri[128];
    unsigned char ip[16];
    int n_uri, n_ip, n_dns, iplen;
    X509 *ca, *x;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-ca", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-client", "ops-1.admin_x", NULL), 0);
    check_pair(d, "client-ops-1.admin_x");
    ca = load_crt(d, "ca.crt");
    x = load_crt(d, "client-ops-1.admin_x.crt");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ca);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT(verifies(ca, x, X509_PURPOSE_SSL_CLIENT));
    CU_ASSERT(!verifies(ca, x, X509_PURPOSE_SSL_SERVER));
    san_of(x, &n_uri, &n_ip, &n_dns, uri, sizeof uri, ip, &iplen);
    CU_ASSERT(n_uri == 1 && n_ip == 0 && n_dns == 0);
    CU_ASSERT_STRING_EQUAL(uri, "urn:sealkv:client:ops-1.admin_x");
    CU_ASSERT_STRING_EQUAL(cn_of(x), "sealkv client ops-1.admin_x");
    CU_ASSERT_EQUAL(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
    X509_free(x);
    X509_free(ca);
    skv_test_rmtree(d);
    free(d);
}

/* Whole contents of a small file, for before/after comparisons. */
static size_t slurp(const char *dir, const char *name, char *buf, size_t len)
{
    FILE *f = fopen(path_of(dir, name), "r");
    size_t n = f ? fread(buf, 1, len, f) : 0;
    if (f)
        fclose(f);
    return n;
}

static void test_no_overwrite(void)
{
    char *d = skv_test_tmpdir("cert"), before[4096], after[4096], link[600];
    size_t nb, na;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-ca", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-node", "1", "127.0.0.1:7101", NULL), 0);
    nb = slurp(d, "node-1.key", before, sizeof before);
    CU_ASSERT_EQUAL(cert(d, "create-node", "1", "127.0.0.1:7101", NULL), 1);
    CU_ASSERT_EQUAL(cert(d, "create-ca", NULL), 1);
    na = slurp(d, "node-1.key", after, sizeof after);
    CU_ASSERT(nb > 0 && na == nb && memcmp(before, after, nb) == 0);
    CU_ASSERT_EQUAL(n_entries(d), 4); /* no temporary left behind */
    CU_ASSERT_EQUAL(cert(d, "create-node", "1", "127.0.0.1:7101", "--force", NULL), 0);
    na = slurp(d, "node-1.key", after, sizeof after);
    CU_ASSERT(na > 0 && (na != nb || memcmp(before, after, nb) != 0));
    check_pair(d, "node-1");
    /* a dangling symlink where the key goes is refused, not followed */
    snprintf(link, sizeof link, "%s/elsewhere", d);
    CU_ASSERT_EQUAL(symlink(link, path_of(d, "node-2.key")), 0);
    CU_ASSERT_EQUAL(cert(d, "create-node", "2", "127.0.0.1:7102", NULL), 1);
    CU_ASSERT_EQUAL(access(link, F_OK), -1);
    CU_ASSERT_EQUAL(mode_of(d, "node-2.crt"), (mode_t)-1);
    CU_ASSERT_EQUAL(n_entries(d), 5);
    skv_test_rmtree(d);
    free(d);
}

static void test_bad_input(void)
{
    static const char *const ids[] = {"0", "01", "-1", "+1", "1a", "", "18446744073709551616"};
    static const char *const addrs[] = {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536",
                                        "::1:7101", "[::1]7101", "[zz]:1", "bad_host:1",
                                        "h:07101", ":7101", "999.1.1.1:1", "-a.b:1",
                                        "[]:1", "[127.0.0.1]:1", "a..b:1"};
    static const char *const names[] = {"", "a b", "a/b", "../x", "é",
                                        "x1234567890123456789012345678901234567890123456789012345678901234"};
    static const char n64[] = "x123456789012345678901234567890123456789012345678901234567890123";
    char *d = skv_test_tmpdir("cert");
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-ca", NULL), 0);
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
        CU_ASSERT_EQUAL(cert(d, "create-node", "--", ids[i], "127.0.0.1:7101", NULL), 2);
    for (i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        CU_ASSERT_EQUAL(cert(d, "create-node", "5", addrs[i], NULL), 2);
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        CU_ASSERT_EQUAL(cert(d, "create-client", "--", names[i], NULL), 2);
    CU_ASSERT_EQUAL(cert(d, "create-ca", "--days", "0", NULL), 2);
    CU_ASSERT_EQUAL(cert(d, "create-ca", "--days", "36501", NULL), 2);
    CU_ASSERT_EQUAL(cert(d, "create-node", "5", NULL), 2);
    CU_ASSERT_EQUAL(cert(d, "frob", NULL), 2);
    CU_ASSERT_EQUAL(cert(d, "create-ca", "--bogus", NULL), 2);
    CU_ASSERT_EQUAL(n_entries(d), 2); /* ca.crt, ca.key only */
    CU_ASSERT_EQUAL(cert(d, "create-client", n64, NULL), 0); /* 64 is the limit */
    CU_ASSERT_EQUAL(n_entries(d), 4);
    skv_test_rmtree(d);
    free(d);
}

/* Signing needs the CA: none, or a key that is not its key. */
static void test_needs_ca(void)
{
    char *d = skv_test_tmpdir("cert"), *e = skv_test_tmpdir("cert2"), cmd[1400];

    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(cert(d, "create-client", "admin", NULL), 1);
    CU_ASSERT_EQUAL(n_entries(d), 0);
    CU_ASSERT_EQUAL_FATAL(cert(d, "create-ca", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(cert(e, "create-ca", NULL), 0);
    snprintf(cmd, sizeof cmd, "cp '%s/ca.key' '%s/ca.key'", e, d);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    CU_ASSERT_EQUAL(cert(d, "create-node", "1", "127.0.0.1:7101", NULL), 1);
    CU_ASSERT_EQUAL(n_entries(d), 2);
    skv_test_rmtree(d);
    skv_test_rmtree(e);
    free(d);
    free(e);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("cert", NULL, NULL);
    CU_add_test(s, "CA: self-signed, CA:TRUE pathlen 0, keyCertSign|cRLSign", test_ca);
    CU_add_test(s, "nodes: verify, one URI SAN, IPv4/IPv6/DNS host, EKU", test_nodes);
    CU_add_test(s, "client: verify as client only, URI SAN, EKU", test_client);
    CU_add_test(s, "no overwrite without --force, no symlink followed", test_no_overwrite);
    CU_add_test(s, "bad id, address, name, days: usage errors, no files", test_bad_input);
    CU_add_test(s, "signing needs a matching CA", test_needs_ca);
    return skv_test_run();
}
