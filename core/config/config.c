/* SPDX-License-Identifier: MIT */
/*
 * config.c — public entry points of the config loader (config.h):
 * read the file (size-limited, regular files only), parse it into a
 * tree (conf_tree.c), apply the schema (conf_schema.c, conf_plugins.c),
 * fill defaults, and free everything.
 */
#include "config/config.h"
#include "config/conf_schema.h"
#include "config/conf_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_defaults(struct skv_config *c)
{
    c->election_timeout_ms = 1000;
    c->heartbeat_timeout_ms = 100;
    c->snapshot_threshold = 8192;
    c->snapshot_trailing = 2048;
    c->log_level = SKV_CONF_LOG_INFO;
}

static int default_name(struct skv_conf_plugin *p, const char *name,
                        struct conf_err *e)
{
    if (p->name)
        return 0;
    p->name = strdup(name);
    return p->name ? 0 : conf_errf(e, NULL, "out of memory");
}

static int default_names(struct skv_config *c, struct conf_err *e)
{
    return default_name(&c->transport, "tcp", e) ||
           default_name(&c->storage, "leveldb", e) ||
           default_name(&c->cipher, "sodium", e) ||
           default_name(&c->admin, "http", e);
}

int skv_config_parse(const char *name, const char *text, size_t len,
                     struct skv_config *out, char *errbuf, size_t errlen)
{
    struct conf_err e = {name ? name : "<config>", errbuf, errlen};
    struct conf_node *root = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (len > CONF_MAX_BYTES)
        return conf_errf(&e, NULL, "configuration is too large (%zu bytes, "
                         "limit %d)", len, CONF_MAX_BYTES);
    if (!text && len)
        return conf_errf(&e, NULL, "no configuration text");
    set_defaults(out);
    out->file = strdup(e.file);
    if (!out->file)
        return conf_errf(&e, NULL, "out of memory");
    rc = conf_tree_parse(text ? text : "", len, &root, &e);
    if (rc == 0)
        rc = conf_schema_apply(root, out, &e);
    if (rc == 0)
        rc = default_names(out, &e);
    conf_tree_free(root);
    if (rc != 0)
        skv_config_free(out);
    return rc ? -1 : 0;
}

/* Whole file into *buf (malloc'd), refusing non-regular and big files. */
static int read_file(int fd, char **buf, size_t *len, struct conf_err *e)
{
    struct stat st;
    size_t cap, got = 0;
    ssize_t r;
    if (fstat(fd, &st) != 0)
        return conf_errf(e, NULL, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return conf_errf(e, NULL, "not a regular file");
    if (st.st_size > CONF_MAX_BYTES)
        return conf_errf(e, NULL, "file is too large (%lld bytes, limit %d)",
                         (long long)st.st_size, CONF_MAX_BYTES);
    cap = (size_t)st.st_size + 1; /* +1 notices a file that grew */
    if (!(*buf = malloc(cap)))
        return conf_errf(e, NULL, "out of memory");
    while (got < cap && (r = read(fd, *buf + got, cap - got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return conf_errf(e, NULL, "cannot read: %s", strerror(errno));
        got += (size_t)r;
    }
    if (got == cap)
        return conf_errf(e, NULL, "file changed while being read");
    *len = got;
    return 0;
}

int skv_config_load(const char *path, struct skv_config *out, char *errbuf,
                    size_t errlen)
{
    struct conf_err e = {path ? path : "<config>", errbuf, errlen};
    char *buf = NULL;
    size_t len = 0;
    int fd, rc;
    memset(out, 0, sizeof *out);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!path)
        return conf_errf(&e, NULL, "no configuration file given");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return conf_errf(&e, NULL, "cannot open: %s", strerror(errno));
    rc = read_file(fd, &buf, &len, &e);
    close(fd);
    if (rc == 0)
        rc = skv_config_parse(path, buf, len, out, errbuf, errlen);
    free(buf);
    return rc ? -1 : 0;
}

static void free_plugin(struct skv_conf_plugin *p)
{
    size_t i;
    for (i = 0; i < SKV_MAX_OPTIONS; i++) {
        free(p->options[i].key);
        free(p->options[i].value);
    }
    free(p->name);
}

void skv_config_free(struct skv_config *c)
{
    size_t i;
    if (!c)
        return;
    free(c->file);
    free(c->node_address);
    free(c->data_dir);
    /* Whole arrays: an entry that failed validation is filled but not
     * counted; unused entries are NULL. */
    for (i = 0; i < SKV_MAX_BOOTSTRAP; i++)
        free(c->bootstrap[i].address);
    for (i = 0; i < SKV_MAX_PLUGIN_PATHS; i++)
        free(c->plugin_path[i]);
    free_plugin(&c->transport);
    free_plugin(&c->storage);
    free_plugin(&c->cipher);
    free_plugin(&c->admin);
    free(c->kek_file);
    for (i = 0; i < SKV_MAX_PREV_KEKS; i++)
        free(c->prev_kek_files[i]);
    skv_conf_pkcs11_free(&c->kek_pkcs11);
    skv_conf_pkcs11_free(&c->prev_kek_pkcs11);
    memset(c, 0, sizeof *c);
}
