/* SPDX-License-Identifier: MIT */
/*
 * log.h — the core's logger: one logfmt line per event on stderr,
 *   ts=2026-12-04T10:11:12.345Z level=info component=node msg="..."
 * ts= is RFC 3339 UTC with milliseconds, left out when stderr is the
 * journal (JOURNAL_STREAM), which stamps lines itself. Never pass key
 * material.
 */
#ifndef SKV_LOG_H
#define SKV_LOG_H

#include <stdarg.h>

/* Levels match enum skv_log_level in <sealkv/plugin.h>. */
void skv_log(int level, int min_level, const char *component,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void skv_logv(int level, int min_level, const char *component,
              const char *fmt, va_list ap);
const char *skv_log_level_name(int level);

#endif
