/* SPDX-License-Identifier: MIT */
/*
 * rewrap_body.c — parses the body of POST /v1/encryption/rewrap-kek
 * (rewrap_body.h): strict JSON (duplicates refused), one member, bounded
 * strings; every refusal one static reason.
 */
#include "admin/rewrap_body.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* One member: kek_file or kek_id. NULL when accepted. */
static const char *body_member(const char *k, json_t *v, char *path, size_t pathlen,
                               char *id, size_t idlen)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t l = s ? json_string_length(v) : 0;
    if (strcmp(k, "kek_file") == 0) {
        if (!s || s[0] != '/' || l >= pathlen || strlen(s) != l)
            return "kek_file must be an absolute path (read by the node, on its host)";
        memcpy(path, s, l + 1);
        return NULL;
    }
    if (strcmp(k, "kek_id") == 0) {
        if (!s || l != SKV_REWRAP_ID_HEX || l >= idlen ||
            strspn(s, "0123456789abcdef") != SKV_REWRAP_ID_HEX)
            return "kek_id must be 32 lowercase hex characters (a KEK id, see status)";
        memcpy(id, s, l + 1);
        return NULL;
    }
    return "unknown member (allowed: kek_file, kek_id)";
}

const char *skv_rewrap_body_parse(const char *body, size_t len, char *path, size_t pathlen,
                                  char *id, size_t idlen)
{
    const char *k, *why = NULL;
    json_error_t je;
    json_t *o = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    json_t *v;
    path[0] = id[0] = '\0';
    if (!json_is_object(o))
        why = "the body must be a JSON object {\"kek_file\": \"/absolute/path\"} or "
              "{\"kek_id\": \"<id of a KEK this node holds>\"}";
    else
        json_object_foreach(o, k, v) {
            if ((why = body_member(k, v, path, pathlen, id, idlen)) != NULL)
                break;
        }
    if (!why && !path[0] && !id[0])
        why = "kek_file or kek_id is required";
    if (!why && path[0] && id[0])
        why = "give kek_file or kek_id, not both";
    json_decref(o);
    if (why)
        path[0] = id[0] = '\0';
    return why;
}
