/* SPDX-License-Identifier: MIT */
/*
 * tls_fx.c — test PKI and a bare TLS client for test_transport_tcp
 * (tls_fx.h). P-256 keys, SHA-256 signatures, all made in-process.
 */
#include "tls_fx.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

const char *tls_fx_path(const struct tls_fx *fx, const char *name,
                        const char *ext, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s.%s", fx->dir, name, ext);
    return buf;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static int cert_exts(X509 *x, X509 *issuer, const char *uri, int ca,
                     int client_only)
{
    X509V3_CTX ctx;
    char san[256];
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (add_ext(x, &ctx, NID_basic_constraints,
                ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
        add_ext(x, &ctx, NID_key_usage, ca ? "critical,keyCertSign,cRLSign"
                                           : "critical,digitalSignature") ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash"))
        return -1;
    if (!ca && add_ext(x, &ctx, NID_ext_key_usage,
                       client_only ? "clientAuth" : "serverAuth,clientAuth"))
        return -1;
    snprintf(san, sizeof san, "URI:%s,IP:127.0.0.1", uri ? uri : "");
    if (uri && add_ext(x, &ctx, NID_subject_alt_name, san))
        return -1;
    return 0;
}

/* A certificate for `key`, signed by (issuer, ikey) or self-signed. */
static X509 *make_cert(struct tls_fx *fx, EVP_PKEY *key, const char *cn,
                       const char *uri, X509 *issuer, EVP_PKEY *ikey, int ca,
                       int client_only, int expired)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    int ok = x && n && X509_set_version(x, 2) == 1 &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), ++fx->serial) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x),
                             expired ? -86400L * 10 : -3600L) &&
             X509_gmtime_adj(X509_getm_notAfter(x),
                             expired ? -86400L : 86400L * 30) &&
             X509_set_pubkey(x, key) == 1 &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                                        (const unsigned char *)cn, -1, -1,
                                        0) == 1 &&
             X509_set_subject_name(x, n) == 1 &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
                                            : n) == 1 &&
             cert_exts(x, issuer, uri, ca, client_only) == 0 &&
             X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0;
    X509_NAME_free(n);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_cert(const char *path, X509 *const *x, int n)
{
    FILE *f = fopen(path, "w");
    int i, ok = f != NULL;
    for (i = 0; ok && i < n; i++)
        ok = PEM_write_X509(f, x[i]) == 1;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static int write_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    int ok = f && fchmod(fileno(f), 0600) == 0 &&
             PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int tls_fx_init(struct tls_fx *fx)
{
    char p[128];
    int i;
    memset(fx, 0, sizeof *fx);
    signal(SIGPIPE, SIG_IGN); /* the bare client writes to refused peers */
    snprintf(fx->dir, sizeof fx->dir, "/tmp/skv-tlsfx-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    for (i = 0; i < 2; i++) {
        fx->ca_key[i] = EVP_EC_gen("P-256");
        fx->ca[i] = fx->ca_key[i]
                        ? make_cert(fx, fx->ca_key[i], i ? "CA two" : "CA one",
                                    NULL, NULL, NULL, 1, 0, 0)
                        : NULL;
        if (!fx->ca[i] ||
            write_cert(tls_fx_path(fx, i ? "ca2" : "ca1", "crt", p, sizeof p),
                       &fx->ca[i], 1))
            return -1;
    }
    return write_cert(tls_fx_path(fx, "cas", "crt", p, sizeof p), fx->ca, 2);
}

int tls_fx_issue(struct tls_fx *fx, const char *name, const char *uri,
                 int issuer, int client_only, int expired)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = NULL;
    char p[128];
    int rc = -1;
    if (k)
        x = make_cert(fx, k, name, uri, issuer >= 0 ? fx->ca[issuer] : NULL,
                      issuer >= 0 ? fx->ca_key[issuer] : NULL, 0, client_only,
                      expired);
    if (x && write_cert(tls_fx_path(fx, name, "crt", p, sizeof p), &x, 1) == 0
        && write_key(tls_fx_path(fx, name, "key", p, sizeof p), k) == 0)
        rc = 0;
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

static int copy_file(const char *from, const char *to)
{
    char buf[8192];
    size_t n;
    FILE *in = fopen(from, "r"), *out = in ? fopen(to, "w") : NULL;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

int tls_fx_copy(const struct tls_fx *fx, const char *from, const char *to)
{
    char a[128], b[128];
    return copy_file(tls_fx_path(fx, from, "crt", a, sizeof a),
                     tls_fx_path(fx, to, "crt", b, sizeof b)) ||
           copy_file(tls_fx_path(fx, from, "key", a, sizeof a),
                     tls_fx_path(fx, to, "key", b, sizeof b)) ||
           chmod(b, 0600) ? -1 : 0;
}

void tls_fx_fini(struct tls_fx *fx)
{
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char p[512];
    int i;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(fx->dir);
    for (i = 0; i < 2; i++) {
        X509_free(fx->ca[i]);
        EVP_PKEY_free(fx->ca_key[i]);
    }
}

static int tcp_dial(unsigned port)
{
    struct sockaddr_in sa;
    struct timeval tv = {5, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)port);
    if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) ||
                    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

SSL *tls_fx_dial(const struct tls_fx *fx, unsigned port, const char *name)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    char a[128], b[128];
    int fd = -1, ok = ctx != NULL;
    ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
         SSL_CTX_load_verify_locations(
             ctx, tls_fx_path(fx, "ca1", "crt", a, sizeof a), NULL) == 1;
    if (ok && name)
        ok = SSL_CTX_use_certificate_file(
                 ctx, tls_fx_path(fx, name, "crt", a, sizeof a),
                 SSL_FILETYPE_PEM) == 1 &&
             SSL_CTX_use_PrivateKey_file(
                 ctx, tls_fx_path(fx, name, "key", b, sizeof b),
                 SSL_FILETYPE_PEM) == 1;
    if (ok && (fd = tcp_dial(port)) >= 0 && (ssl = SSL_new(ctx)) &&
        SSL_set_fd(ssl, fd) == 1) {
        (void)SSL_connect(ssl); /* outcome shows in later reads/writes */
    } else if (fd >= 0) {
        close(fd);
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ssl;
}

int tls_fx_closed_by_server(SSL *ssl)
{
    char c[64];
    int r = SSL_read(ssl, c, sizeof c), saved = errno;
    int e = SSL_get_error(ssl, r);
    ERR_clear_error();
    /* EOF, an alert or a reset: closed. A timeout (EAGAIN) or data:
     * not. */
    return r <= 0 && (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SSL ||
                      (e == SSL_ERROR_SYSCALL && saved != EAGAIN &&
                       saved != EWOULDBLOCK));
}

void tls_fx_close(SSL *ssl)
{
    if (!ssl)
        return;
    close(SSL_get_fd(ssl));
    SSL_free(ssl);
}
