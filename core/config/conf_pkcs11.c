/* SPDX-License-Identifier: MIT */
/*
 * conf_pkcs11.c — the encryption.kek_pkcs11 and previous_kek_pkcs11 blocks
 * of the configuration: {module, token_label, key_label, pin_file}, all
 * four required strings, labels within PKCS#11's sizes. The PIN itself is
 * read later, by the KEK loader (core/crypto/kek_provider.c), never here.
 */
#include "config/conf_schema.h"
#include "config/conf_value.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_LABEL_MAX 32   /* CK_TOKEN_INFO.label */
#define KEY_LABEL_MAX 64

static int one(const struct conf_node *map, const char *what, const char *key,
               size_t max, char **out, struct conf_err *e)
{
    char path[96];
    const struct conf_node *v = conf_map_get(map, key);
    snprintf(path, sizeof path, "%s.%s", what, key);
    if (!v)
        return conf_errf(e, &map->pos, "missing required key '%s' in '%s'", key, what);
    if (conf_str(v, path, out, e))
        return -1;
    if (!**out || strlen(*out) > max)
        return conf_errf(e, &v->pos, "%s must be 1 to %zu bytes, found %zu", path, max,
                         strlen(*out));
    return 0;
}

int conf_pkcs11_apply(const struct conf_node *n, const char *what,
                      struct skv_conf_pkcs11 *out, struct conf_err *e)
{
    static const char *const keys[] = {"module", "token_label", "key_label", "pin_file",
                                       NULL};
    if (!n || conf_is_null(n))
        return 0;
    if (conf_expect(n, CONF_MAP, what, e) || conf_keys(n, what, keys, e))
        return -1;
    if (one(n, what, "module", 4096, &out->module, e) ||
        one(n, what, "token_label", TOKEN_LABEL_MAX, &out->token_label, e) ||
        one(n, what, "key_label", KEY_LABEL_MAX, &out->key_label, e) ||
        one(n, what, "pin_file", 4096, &out->pin_file, e))
        return -1;
    out->set = 1;
    return 0;
}

void skv_conf_pkcs11_free(struct skv_conf_pkcs11 *p)
{
    free(p->module);
    free(p->token_label);
    free(p->key_label);
    free(p->pin_file);
    memset(p, 0, sizeof *p);
}
