/* SPDX-License-Identifier: MIT */
/*
 * chaos_rules.h — the fault rules of the chaos transport: parsed from a
 * plain-text rules file, one rule per line,
 *
 *     drop <peer> <pct>        drop pct% (0..100) of the frames, both ways
 *     delay <peer> <ms>        hold every frame ms (0..60000) ms, both ways
 *     partition <peer>         drop every frame to and from the peer
 *
 * <peer> is a node id (u64 > 0) or `*` (every peer, including a sender
 * whose id is unknown). Blank lines and `#` comments are ignored; an
 * empty or missing file means a healthy network. Several rules matching
 * one peer combine: partition if any says so, the largest drop and the
 * largest delay. Pure functions, no threads.
 */
#ifndef SKV_CHAOS_RULES_H
#define SKV_CHAOS_RULES_H

#include <stddef.h>
#include <stdint.h>

#define CHAOS_MAX_RULES 64

struct chaos_rule {
    uint64_t peer;          /* 0 = every peer (`*`) */
    unsigned drop_pct;
    unsigned delay_ms;
    int partition;
};

struct chaos_rules {
    size_t n;
    struct chaos_rule r[CHAOS_MAX_RULES];
};

/* What applies to one peer right now. */
struct chaos_effect {
    int partition;
    unsigned drop_pct;
    unsigned delay_ms;
};

/* Parse `text` (len bytes, need not be NUL-terminated). Bad lines are
 * skipped; the number of bad lines is returned and the first one is
 * described in `bad` (line number and reason). */
int chaos_rules_parse(const char *text, size_t len, struct chaos_rules *out,
                      char *bad, size_t bad_len);

/* The combined effect of every rule matching `peer`. */
void chaos_rules_effect(const struct chaos_rules *rules, uint64_t peer,
                        struct chaos_effect *out);

#endif
