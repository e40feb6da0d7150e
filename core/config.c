/* config.c — placeholder until the YAML loader lands. */
#include "config.h"
#include <stdio.h>
#include <string.h>
int skv_config_load(const char *path, struct skv_config *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(errbuf, errlen, "%s: config loader not built yet", path);
    return -1;
}
int skv_config_parse(const char *name, const char *text, size_t len, struct skv_config *out, char *errbuf, size_t errlen)
{
    (void)text; (void)len;
    return skv_config_load(name, out, errbuf, errlen);
}
void skv_config_free(struct skv_config *c) { (void)c; }
