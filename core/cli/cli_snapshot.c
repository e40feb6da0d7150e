/* SPDX-License-Identifier: MIT */
/*
 * cli_snapshot.c — `sealkv snapshot save FILE` (a backup through the
 * admin API: POST /v1/snapshot, GET /v1/snapshot/{id}?offset=N until an
 * empty piece, DELETE; every piece from the endpoint that opened it,
 * written to FILE.part, checked against the file's trailer, fsynced and
 * renamed) and the offline `sealkv snapshot restore FILE --config CONF`
 * and `sealkv snapshot info FILE` (core/backup/restore.h).
 */
#include "cli/cli_cmds.h"
#include "cli/cli_snapshot.h"
#include "backup/restore.h"
#include "fsm/backup_file.h"
#include "util/bytes.h"
#include "util/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file as it arrives: written out, hashed except its last
 * SKV_BACKUP_TRAILER_LEN bytes (held back until more come). */
struct sink {
    int fd;
    crypto_generichash_state hash;
    uint8_t tail[SKV_BACKUP_TRAILER_LEN];
    size_t tail_len;
    uint8_t head[12];
    uint64_t total;
};

static int sink_put(struct sink *s, const uint8_t *p, size_t n)
{
    size_t i, w;
    for (i = 0; i < n && s->total + i < sizeof s->head; i++)
        s->head[s->total + i] = p[i];
    for (w = 0; w < n;) {
        ssize_t k = write(s->fd, p + w, n - w);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        w += (size_t)k;
    }
    s->total += n;
    /* hash what can no longer be part of the trailer */
    if (s->tail_len + n > SKV_BACKUP_TRAILER_LEN) {
        size_t out = s->tail_len + n - SKV_BACKUP_TRAILER_LEN, from_tail;
        from_tail = out < s->tail_len ? out : s->tail_len;
        crypto_generichash_update(&s->hash, s->tail, from_tail);
        memmove(s->tail, s->tail + from_tail, s->tail_len - from_tail);
        s->tail_len -= from_tail;
        crypto_generichash_update(&s->hash, p, out - from_tail);
        p += out - from_tail;
        n -= out - from_tail;
    }
    memcpy(s->tail + s->tail_len, p, n);
    s->tail_len += n;
    return 0;
}

/* The trailer, length and checksum of what arrived. */
static const char *sink_check(struct sink *s)
{
    uint8_t h[SKV_BACKUP_HASH_LEN];
    uint64_t m;
    if (s->total < sizeof s->head + SKV_BACKUP_TRAILER_LEN ||
        memcmp(s->head, SKV_BACKUP_MAGIC, 8) != 0)
        return "the server's answer is not a sealkv backup";
    m = skv_get_be32(s->head + 8);
    crypto_generichash_final(&s->hash, h, sizeof h);
    if (memcmp(s->tail, SKV_BACKUP_END, 8) != 0 ||
        skv_get_be64(s->tail + 8) + sizeof s->head + m + SKV_BACKUP_TRAILER_LEN != s->total)
        return "the backup arrived cut short or malformed";
    if (sodium_memcmp(h, s->tail + 16, sizeof h) != 0)
        return "the backup's checksum does not match what arrived";
    return NULL;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd, rc = -1;
    if (!copy)
        return -1;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(copy);
    return rc;
}

/* Pieces from `offset` on until an empty one, through `one` (the client
 * pinned to the node that opened the session). */
static int fetch_all(const struct skv_cli *c, struct skv_client *one, unsigned long long id,
                     struct sink *s)
{
    char path[96];
    for (;;) {
        struct skv_client_answer a;
        struct skv_client_error e;
        int rc = SKV_CLI_EXIT_OK;
        memset(&e, 0, sizeof e);
        snprintf(path, sizeof path, "/v1/snapshot/%llu?offset=%" PRIu64, id, s->total);
        if (skv_client_request(one, "GET", path, NULL, 0, NULL, &a, &e) != SKV_CLIENT_OK)
            rc = skv_cli_fail(c, &e, 0);
        else if (a.len > 0 && sink_put(s, (const uint8_t *)a.body, a.len) != 0)
            rc = (fprintf(stderr, "sealkv: snapshot save: write: %s\n", strerror(errno)),
                  SKV_CLI_EXIT_ERR);
        else if (a.len == 0)
            rc = -1; /* the end */
        skv_client_answer_clear(&a);
        skv_client_error_clear(&e);
        if (rc != SKV_CLI_EXIT_OK)
            return rc < 0 ? SKV_CLI_EXIT_OK : rc;
    }
}

static void close_session(struct skv_client *one, unsigned long long id)
{
    char path[64];
    struct skv_client_answer a;
    snprintf(path, sizeof path, "/v1/snapshot/%llu", id);
    /* best effort, nothing reported: it expires anyway */
    (void)skv_client_request(one, "DELETE", path, NULL, 0, NULL, &a, NULL);
    skv_client_answer_clear(&a);
}

static int print_saved(const struct skv_cli *c, json_t *m, const char *file, uint64_t bytes,
                       const char *endpoint)
{
    json_t *keys = json_object_get(m, "keys"), *k;
    size_t i;
    if (c->json) {
        json_object_set_new(m, "file", json_string(file));
        json_object_set_new(m, "bytes", json_integer((json_int_t)bytes));
        json_object_del(m, "idle_timeout_ms");
        json_dumpf(m, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        return skv_cli_finish_output();
    }
    printf("saved %s: %" PRIu64 " bytes, index %" JSON_INTEGER_FORMAT " (term %"
           JSON_INTEGER_FORMAT ") of node %" JSON_INTEGER_FORMAT " via %s\n", file, bytes,
           json_integer_value(json_object_get(m, "index")),
           json_integer_value(json_object_get(m, "term")),
           json_integer_value(json_object_get(m, "node_id")), endpoint);
    json_array_foreach(keys, i, k)
        printf("needs DEK %" JSON_INTEGER_FORMAT " (%s) wrapped under KEK %s\n",
               json_integer_value(json_object_get(k, "key_id")),
               json_string_value(json_object_get(k, "purpose")),
               json_string_length(json_object_get(k, "kek_id"))
                   ? json_string_value(json_object_get(k, "kek_id"))
                   : "(not recorded)");
    return skv_cli_finish_output();
}

/* POST /v1/snapshot: the session's manifest, and a client pinned to
 * the endpoint it lives on. */
static int open_session(const struct skv_cli *c, json_t **m, unsigned long long *id,
                        struct skv_client **one, const char **endpoint)
{
    struct skv_client_answer a;
    struct skv_client_error e;
    json_t *jid;
    int rc = SKV_CLI_EXIT_OK;
    *m = NULL;
    memset(&e, 0, sizeof e);
    if (skv_client_request(c->client, "POST", "/v1/snapshot", NULL, 0, NULL, &a, &e) !=
        SKV_CLIENT_OK) {
        rc = skv_cli_fail(c, &e, 0);
    } else {
        *m = json_loadb(a.body ? a.body : "", a.len, 0, NULL);
        jid = json_object_get(*m, "id");
        if (!json_is_integer(jid) || json_integer_value(jid) <= 0) {
            fprintf(stderr, "sealkv: snapshot save: unexpected answer to POST /v1/snapshot\n");
            rc = SKV_CLI_EXIT_ERR;
        } else if (skv_client_pin(c->client, a.endpoint, one, &e) != SKV_CLIENT_OK) {
            fprintf(stderr, "sealkv: snapshot save: %s\n", e.detail);
            rc = SKV_CLI_EXIT_ERR;
        } else {
            *id = (unsigned long long)json_integer_value(jid);
            *endpoint = a.endpoint; /* points into c->client */
        }
    }
    skv_client_answer_clear(&a);
    skv_client_error_clear(&e);
    return rc;
}

int skv_cli_cmd_snapshot_save(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_client *one = NULL; /* every piece from the node that opened it */
    const char *endpoint = NULL;
    struct sink s;
    const char *file = args[0], *bad;
    char part[4200];
    unsigned long long id = 0;
    json_t *m = NULL;
    int rc;
    (void)nargs;
    memset(&s, 0, sizeof s);
    if (access(file, F_OK) == 0) {
        fprintf(stderr, "sealkv: snapshot save: %s exists; choose a new file name\n", file);
        return SKV_CLI_EXIT_ERR;
    }
    snprintf(part, sizeof part, "%s.part", file);
    if ((s.fd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "sealkv: snapshot save: %s: %s\n", part, strerror(errno));
        return SKV_CLI_EXIT_ERR;
    }
    crypto_generichash_init(&s.hash, NULL, 0, SKV_BACKUP_HASH_LEN);
    rc = open_session(c, &m, &id, &one, &endpoint);
    if (rc == SKV_CLI_EXIT_OK) {
        rc = fetch_all(c, one, id, &s);
        close_session(one, id);
    }
    if (rc == SKV_CLI_EXIT_OK && (bad = sink_check(&s)) != NULL) {
        fprintf(stderr, "sealkv: snapshot save: %s\n", bad);
        rc = SKV_CLI_EXIT_ERR;
    }
    if (rc == SKV_CLI_EXIT_OK && (fsync(s.fd) != 0 || rename(part, file) != 0 ||
                                  fsync_dir_of(file) != 0)) {
        fprintf(stderr, "sealkv: snapshot save: %s: %s\n", file, strerror(errno));
        rc = SKV_CLI_EXIT_ERR;
    }
    close(s.fd);
    if (rc != SKV_CLI_EXIT_OK)
        unlink(part);
    else
        rc = print_saved(c, m, file, s.total, endpoint);
    skv_client_free(one);
    json_decref(m);
    return rc;
}

/* ---- offline: restore, info ---------------------------------------- */

static void offline_usage(FILE *f)
{
    fputs("usage: sealkv snapshot restore FILE --config CONF [--json]\n"
          "       sealkv snapshot info FILE [--json]\n"
          "  restore  offline, before the node's first start: seed this node's empty\n"
          "           data_dir from a backup ('sealkv snapshot save'); CONF's\n"
          "           cluster.bootstrap lists the NEW cluster's voters, and its encryption\n"
          "           section gives the KEK(s) the backup's DEKs are wrapped under.\n"
          "           Restore every node of the new cluster from the same file.\n"
          "  info     check a backup file and describe it\n",
          f);
}

static int print_report(const struct skv_restore_report *r, const char *file, int restored,
                        int json)
{
    if (json) {
        json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "file", file, "index",
                              (json_int_t)r->index, "term", (json_int_t)r->term, "cutover",
                              (json_int_t)r->cutover, "source_node_id",
                              (json_int_t)r->source_node, "created_ms",
                              (json_int_t)r->created_ms, "records", (json_int_t)r->records,
                              "keys", (json_int_t)r->n_keys, "storage_envelope_active",
                              r->storage_active);
        if (o && restored) {
            json_object_set_new(o, "node_id", json_integer((json_int_t)r->node_id));
            json_object_set_new(o, "voters", json_integer((json_int_t)r->voters));
        }
        if (o)
            json_dumpf(o, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
        return skv_cli_finish_output();
    }
    printf("%s: backup of node %" PRIu64 " at index %" PRIu64 " (term %" PRIu64
           ", cutover %" PRIu64 "), %zu records, %zu DEKs, values %s\n",
           file, r->source_node, r->index, r->term, r->cutover, r->records, r->n_keys,
           r->storage_active ? "sealed" : "as they were at rest");
    if (restored)
        printf("restored into node %" PRIu64 "'s data dir as a %zu-voter cluster; start it "
               "normally. Rotate the DEKs once the new cluster runs "
               "(sealkv encryption rotate-dek) so it stops sharing keys with the source.\n",
               r->node_id, r->voters);
    return skv_cli_finish_output();
}

int skv_cli_snapshot_main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct skv_restore_report r;
    const char *conf = NULL, *sub;
    char err[1024];
    int json = 0, ch, rc;
    if (argc < 2 || (strcmp(argv[1], "restore") != 0 && strcmp(argv[1], "info") != 0)) {
        offline_usage(stderr);
        return SKV_CLI_EXIT_USAGE;
    }
    sub = argv[1];
    optind = 2;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'c')
            conf = optarg;
        else if (ch == 'j')
            json = 1;
        else if (ch == 'h')
            return offline_usage(stdout), skv_cli_finish_output();
        else
            return offline_usage(stderr), SKV_CLI_EXIT_USAGE;
    }
    if (optind != argc - 1 || (strcmp(sub, "restore") == 0) != (conf != NULL)) {
        fprintf(stderr, "sealkv: snapshot %s: %s\n", sub,
                strcmp(sub, "restore") == 0 ? "needs FILE and --config CONF"
                                            : "needs FILE (and no --config)");
        offline_usage(stderr);
        return SKV_CLI_EXIT_USAGE;
    }
    if (strcmp(sub, "restore") == 0)
        rc = skv_restore_run(conf, argv[optind], &r, err, sizeof err);
    else
        rc = skv_restore_inspect(argv[optind], &r, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "sealkv: snapshot %s: %s\n", sub, err);
        if (json) {
            json_t *o = json_pack("{s:s,s:s}", "error", skv_error_name(SKV_ErrBackupInvalid),
                                  "message", err);
            json_dumpf(o, stdout, JSON_COMPACT);
            fputc('\n', stdout);
            json_decref(o);
        }
        return SKV_CLI_EXIT_ERR;
    }
    return print_report(&r, argv[optind], strcmp(sub, "restore") == 0, json);
}
