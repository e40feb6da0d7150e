/* SPDX-License-Identifier: MIT */
/*
 * config.h — the typed sealkvd configuration (DESIGN.md §6) and its
 * libyaml loader. Every error carries file:line:column.
 */
#ifndef SKV_CONFIG_H
#define SKV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SKV_CONF_ERR_MAX 512
#define SKV_MAX_BOOTSTRAP 64
#define SKV_MAX_PLUGIN_PATHS 16
#define SKV_MAX_PREV_KEKS 4      /* encryption.previous_kek_files */

/* A KEK inside a PKCS#11 token: every member set, or `set` is 0. */
struct skv_conf_pkcs11 {
    int set;
    char *module;        /* path of the PKCS#11 module (.so) */
    char *token_label;   /* 1..32 bytes */
    char *key_label;     /* 1..64 bytes */
    char *pin_file;      /* the user PIN, a 0600/0400 file of ours */
};
#define SKV_MAX_OPTIONS 32

/* Where a YAML node was found (1-based). */
struct skv_conf_pos {
    unsigned line;
    unsigned col;
};

/* One scalar entry of a plugin's `options:` mapping. Only scalars are
 * allowed there (nested values are a config error). */
struct skv_conf_option {
    char *key;
    char *value;             /* scalar text as written */
    int quoted;              /* scalar was quoted: never an int/bool */
    struct skv_conf_pos pos; /* of the value */
    int used;                /* set by the plugin host when the plugin read it */
};

struct skv_conf_plugin {
    char *name;                         /* e.g. "leveldb"; the slot's default
                                           name when not given */
    struct skv_conf_pos pos;            /* of the slot's mapping; 0:0 if absent */
    struct skv_conf_option options[SKV_MAX_OPTIONS];
    size_t n_options;
};

struct skv_conf_member {
    uint64_t id;
    char *address;
    struct skv_conf_pos pos;
};

enum skv_log_lvl { SKV_CONF_LOG_DEBUG = 0, SKV_CONF_LOG_INFO, SKV_CONF_LOG_WARN, SKV_CONF_LOG_ERROR };

struct skv_config {
    char *file;                 /* path the config was read from */

    uint64_t node_id;           /* > 0 */
    char *node_address;         /* host:port */
    char *data_dir;
    int init_store;             /* sealkvd --init, not YAML (store_init.h) */

    struct skv_conf_member bootstrap[SKV_MAX_BOOTSTRAP];
    size_t n_bootstrap;         /* 0: wait to be added */

    char *plugin_path[SKV_MAX_PLUGIN_PATHS];
    size_t n_plugin_path;
    struct skv_conf_plugin transport;   /* default name "tcp" */
    struct skv_conf_plugin storage;     /* default name "leveldb" */
    struct skv_conf_plugin cipher;      /* default name "sodium" */
    struct skv_conf_plugin admin;       /* default name "http" */

    int enc_enabled;            /* default 0 */
    char *kek_file;             /* NULL if absent */
    struct skv_conf_pos kek_pos;
    /* encryption.previous_kek_files: KEKs still accepted for unwrapping
     * (KEK rotation, docs/SECURITY.md); never used for new wraps */
    char *prev_kek_files[SKV_MAX_PREV_KEKS];
    size_t n_prev_kek_files;
    /* encryption.kek_pkcs11 (the current KEK, in an HSM; excludes
     * kek_file) and encryption.previous_kek_pkcs11 (an HSM KEK accepted
     * for unwrapping only): conf_pkcs11.c, docs/SECURITY.md "HSM" */
    struct skv_conf_pkcs11 kek_pkcs11, prev_kek_pkcs11;
    uint64_t enc_rotate_after_ms;   /* encryption.rotate_after, 0 = off */
    /* encryption.seal_key_names: the leader proposes seal-key-names as
     * soon as both phases are on (admin/names_job.c); false/absent: only
     * the operator's seal-key-names switches (one-way either way) */
    int enc_seal_key_names;

    unsigned election_timeout_ms;   /* default 1000, 50..60000 */
    unsigned heartbeat_timeout_ms;  /* default 100, 10..election/2 */
    unsigned snapshot_threshold;    /* default 8192, >= 1 */
    unsigned snapshot_trailing;     /* default 2048 */

    int log_level;              /* enum skv_log_lvl, default INFO */
};

/* Parse `path` into `out` (zeroed first). On failure returns -1 and writes
 * "file:line:col: message" (or "file: message" when no position applies)
 * into errbuf; `out` is then freed and zeroed. */
int skv_config_load(const char *path, struct skv_config *out, char *errbuf,
                    size_t errlen);

/* Same, from an in-memory buffer; `name` is used in messages. */
int skv_config_parse(const char *name, const char *text, size_t len,
                     struct skv_config *out, char *errbuf, size_t errlen);

void skv_config_free(struct skv_config *c);

/* Free the strings of one kek_pkcs11 block and zero it (conf_pkcs11.c). */
void skv_conf_pkcs11_free(struct skv_conf_pkcs11 *p);

#endif /* SKV_CONFIG_H */
