/* SPDX-License-Identifier: MIT */
/*
 * tcp_tls.c — holds the current SSL_CTX and its generation under a
 * mutex; reload validates fully before swapping (tcp_tls.h).
 */
#include "tcp_tls.h"
#include "tcp_creds.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct tcp_tls {
    char *ca_file, *cert_file, *key_file;
    uint64_t node_id;
    pthread_mutex_t lock;
    SSL_CTX *ctx;     /* under lock */
    unsigned gen;     /* under lock */
};

void tcp_tls_free(struct tcp_tls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    free(t->ca_file);
    free(t->cert_file);
    free(t->key_file);
    free(t);
}

int tcp_tls_new(const char *ca_file, const char *cert_file,
                const char *key_file, uint64_t node_id, struct tcp_tls **out,
                struct skv_err *err)
{
    struct tcp_tls *t;
    SSL_CTX *ctx = NULL;
    int rc = tcp_creds_load(ca_file, cert_file, key_file, node_id, &ctx, err);
    *out = NULL;
    if (rc != SKV_OK)
        return rc;
    t = calloc(1, sizeof *t);
    if (!t || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        SSL_CTX_free(ctx);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    t->ctx = ctx;
    t->node_id = node_id;
    t->ca_file = strdup(ca_file);
    t->cert_file = strdup(cert_file);
    t->key_file = strdup(key_file);
    if (!t->ca_file || !t->cert_file || !t->key_file) {
        tcp_tls_free(t);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    *out = t;
    return SKV_OK;
}

SSL_CTX *tcp_tls_ctx(struct tcp_tls *t, unsigned *gen)
{
    SSL_CTX *c;
    pthread_mutex_lock(&t->lock);
    c = t->ctx;
    SSL_CTX_up_ref(c);
    if (gen)
        *gen = t->gen;
    pthread_mutex_unlock(&t->lock);
    return c;
}

unsigned tcp_tls_gen(struct tcp_tls *t)
{
    unsigned g;
    pthread_mutex_lock(&t->lock);
    g = t->gen;
    pthread_mutex_unlock(&t->lock);
    return g;
}

int tcp_tls_reload(struct tcp_tls *t, struct skv_err *err)
{
    SSL_CTX *fresh = NULL, *old;
    int rc = tcp_creds_load(t->ca_file, t->cert_file, t->key_file,
                            t->node_id, &fresh, err);
    if (rc != SKV_OK)
        return rc;
    pthread_mutex_lock(&t->lock);
    old = t->ctx;
    t->ctx = fresh;
    t->gen++;
    pthread_mutex_unlock(&t->lock);
    SSL_CTX_free(old); /* connections holding a reference keep it alive */
    return SKV_OK;
}
