/* SPDX-License-Identifier: MIT */
/*
 * cli_cmds.h — what the sealkv CLI's parser (cli_main.c) hands to its
 * commands (cli_cmds.c): the parsed command line with its
 * libsealkv-client handle, the command table, the exit statuses, and the
 * shared usage-error, failure-report and output-flush helpers.
 */
#ifndef SKV_CLI_CMDS_H
#define SKV_CLI_CMDS_H

#include <stddef.h>

#include <sealkv/client.h>

#include "cli/cli_creds.h"

/* Exit statuses (sealkv(1) EXIT STATUS; stable): enum skv_client_code's
 * classes, SKV_CLIENT_LOCAL exiting 1. */
enum {
    SKV_CLI_EXIT_OK = 0,
    SKV_CLI_EXIT_ERR = 1,            /* refused by the server (nothing done), or a local failure */
    SKV_CLI_EXIT_USAGE = 2,          /* bad command line; nothing was sent */
    SKV_CLI_EXIT_NOT_FOUND = 3,      /* get: no such key */
    SKV_CLI_EXIT_COMPARE_FAILED = 4, /* a compare-and-swap's compare failed (HTTP 412
                                        ErrCompareFailed): nothing was done */
    SKV_CLI_EXIT_UNREACHABLE = 5,    /* no server reached (connect, name, TLS): nothing was done */
    SKV_CLI_EXIT_UNKNOWN = 6         /* the request may or may not have taken effect */
};

/* The exit status of a library outcome. */
int skv_cli_exit_of(enum skv_client_code code);

/* Everything the command line says. */
struct skv_cli {
    const char *endpoint;   /* as given: a comma-separated list */
    char *ep_buf;           /* its split copy (owned) */
    const char *eps[SKV_CLIENT_MAX_ENDPOINTS];
    size_t n_eps;
    const char *purpose; /* --purpose (rotate-dek), NULL if not given */
    const char *prev_index; /* --prev-index N (put, del): decimal, checked */
    const char *prev_exist; /* --prev-exist true|false (put) */
    int json, local, standby, help, version;
    int keys_only;                  /* --keys-only (ls) */
    unsigned long long limit;       /* --limit (ls): 0 = every key */
    unsigned long long from_index;  /* --from-index (watch) */
    int has_from;
    double timeout_s, retry_s;
    char **pos; /* positional arguments (command first) */
    int npos;
    struct skv_client *client;  /* every request goes through it */
    struct skv_cli_creds creds; /* --cacert, --cert, --key, --token-file */
};

struct skv_cli_command {
    const char *name, *sub; /* sub: second word, or NULL */
    int min_args, max_args; /* after the command word(s) */
    const char *synopsis;   /* for "wrong number of arguments" */
    int takes_key;          /* first argument is a KEY (must not be empty) */
    int local_ok, standby_ok;
    int (*run)(const struct skv_cli *c, char **args, int nargs);
};

extern const struct skv_cli_command skv_cli_commands[];
extern const size_t skv_cli_n_commands;

/* "sealkv: <message>" and the --help hint on stderr; SKV_CLI_EXIT_USAGE. */
int skv_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush stdout; SKV_CLI_EXIT_OK, or SKV_CLI_EXIT_ERR after a message. */
int skv_cli_finish_output(void);

/* Report a failed call (stderr; also as JSON on stdout with --json,
 * except for local failures) and return its exit status. `is_get`: a
 * get's NOT_FOUND prints "not found". */
int skv_cli_fail(const struct skv_cli *c, const struct skv_client_error *e, int is_get);

/* cli_txn.c: sealkv txn [FILE|-] */
int skv_cli_cmd_txn(const struct skv_cli *c, char **args, int nargs);
/* cli_ls.c: sealkv ls [PREFIX] */
int skv_cli_cmd_ls(const struct skv_cli *c, char **args, int nargs);
/* cli_watch.c: sealkv watch [PREFIX] */
int skv_cli_cmd_watch(const struct skv_cli *c, char **args, int nargs);

#endif /* SKV_CLI_CMDS_H */
