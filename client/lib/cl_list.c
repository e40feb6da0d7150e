/* SPDX-License-Identifier: MIT */
/*
 * cl_list.c — owns skv_client_list: one page of GET /v1/kv
 * (?prefix=&limit=[&after=][&keys_only=true][&consistency=local]) turned
 * into skv_client_kv entries (keys and values base64-decoded).
 */
#include "lib/cl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skv_client_list_clear(struct skv_client_list *l)
{
    size_t i;
    if (!l)
        return;
    for (i = 0; i < l->n; i++)
        skv_client_kv_clear(&l->kvs[i]);
    free(l->kvs);
    memset(l, 0, sizeof *l);
}

/* "/v1/kv?prefix=..&limit=..[&after=..][&keys_only=true][&consistency=local]" */
static char *page_path(const struct skv_client_list_req *rq)
{
    char *p = skv_client_pct_encode(rq->prefix ? rq->prefix : "", rq->prefix ? rq->prefix_len : 0);
    char *a = rq->after ? skv_client_pct_encode(rq->after, rq->after_len) : NULL;
    char *out = NULL, lim[32] = "";
    size_t n;
    if (rq->limit)
        snprintf(lim, sizeof lim, "&limit=%u", rq->limit);
    if (p && (a || !rq->after)) {
        n = strlen(p) + (a ? strlen(a) : 0) + 128;
        if ((out = malloc(n)))
            snprintf(out, n, "/v1/kv?prefix=%s%s%s%s%s%s", p, lim, a ? "&after=" : "",
                     a ? a : "", rq->keys_only ? "&keys_only=true" : "",
                     rq->flags & SKV_CLIENT_READ_LOCAL ? "&consistency=local" : "");
    }
    free(p);
    free(a);
    return out;
}

enum skv_client_code skv_client_list(struct skv_client *c, const struct skv_client_list_req *rq,
                                     struct skv_client_list *out,
                                     struct skv_client_error *err)
{
    struct skv_cl_req hr = {.method = "GET"};
    struct skv_cl_resp r;
    enum skv_client_code rc;
    char *path;
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !rq || !out || rq->limit > 10000 || (!rq->prefix && rq->prefix_len))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a listing needs a client, a request with a "
                          "limit of 0..10000, and a result");
    if (!(path = page_path(rq)))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    hr.path = path;
    rc = skv_cl_call(c, &hr, &r, 0, err);
    free(path);
    if (rc == SKV_CLIENT_OK && skv_cl_parse_list(r.body ? r.body : "", r.len, out) != 0) {
        skv_client_list_clear(out);
        rc = skv_cl_err(err, SKV_CLIENT_REFUSED,
                        "unexpected answer (HTTP %ld): not the listing expected", r.status);
    }
    skv_cl_resp_free(&r);
    return rc;
}
