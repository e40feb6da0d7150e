/* SPDX-License-Identifier: MIT */
/*
 * conf_value.h — internal to the config loader: typed reads of tree
 * nodes (integers, booleans, strings, host:port addresses) and the
 * unknown-key check, each failing with a positioned message. `what` is
 * the dotted key path shown to the user, e.g. "raft.snapshot_threshold".
 */
#ifndef SKV_CONF_VALUE_H
#define SKV_CONF_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "config/conf_tree.h"

/* n must be of `kind` (a plain null is reported as "has no value"). */
int conf_expect(const struct conf_node *n, enum conf_kind kind,
                const char *what, struct conf_err *e);

/* n must be a sequence of at most `limit` items. */
int conf_seq(const struct conf_node *n, const char *what, size_t limit,
             struct conf_err *e);

/* Unquoted decimal integer in min..max. */
int conf_u64(const struct conf_node *n, const char *what, uint64_t min,
             uint64_t max, uint64_t *out, struct conf_err *e);
int conf_uint(const struct conf_node *n, const char *what, unsigned min,
              unsigned max, unsigned *out, struct conf_err *e);

/* Unquoted duration "<digits><s|m|h|d>" (1..9 digits, no leading zero)
 * of min_s..max_s seconds, into milliseconds. */
int conf_duration(const struct conf_node *n, const char *what, uint64_t min_s,
                  uint64_t max_s, uint64_t *out_ms, struct conf_err *e);

/* Unquoted true/false/yes/no (any case). */
int conf_bool(const struct conf_node *n, const char *what, int *out,
              struct conf_err *e);

/* Non-empty scalar, copied into *out (which must be NULL). */
int conf_str(const struct conf_node *n, const char *what, char **out,
             struct conf_err *e);

/* conf_str plus a host:port check (port 1..65535, IPv6 in brackets). */
int conf_address(const struct conf_node *n, const char *what, char **out,
                 struct conf_err *e);

/* NULL if `s` is a valid host:port, else the reason it is not. */
const char *conf_address_problem(const char *s);

/* Every key of `map` must be in the NULL-terminated `allowed` list.
 * `what` NULL means the top level. */
int conf_keys(const struct conf_node *map, const char *what,
              const char *const *allowed, struct conf_err *e);

#endif /* SKV_CONF_VALUE_H */
