/* SPDX-License-Identifier: MIT */
/*
 * log.c — formats log events as logfmt lines (ts=, level=, component=,
 * msg=) and writes each to stderr in one write(2), so lines from different
 * threads never interleave and one event is always one line. ts= is left
 * out when stderr is the journal (JOURNAL_STREAM names it): journald
 * stamps every line itself.
 */
#include "util/log.h"

#include <sealkv/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *skv_log_level_name(int level)
{
    switch (level) {
    case SKV_LOG_DEBUG: return "debug";
    case SKV_LOG_INFO: return "info";
    case SKV_LOG_WARN: return "warn";
    case SKV_LOG_ERROR: return "error";
    default: return "?";
    }
}

/* Append `in` as a logfmt value: quotes and backslashes escaped, control
 * characters (a newline would split the event) as \n, \t or \xHH. */
static size_t put_escaped(char *out, size_t cap, size_t n, const char *in)
{
    for (; *in && n + 5 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n' || c == '\t') {
            out[n++] = '\\';
            out[n++] = c == '\n' ? 'n' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    return n;
}

/* Is stderr the journal? systemd sets JOURNAL_STREAM=DEV:INODE of the
 * stream it connected; a redirected stderr no longer matches. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* "ts=2026-12-04T10:11:12.345Z " (RFC 3339, UTC, milliseconds) into out,
 * or "" when stderr is the journal or the clock fails. */
static void put_ts(char *out, size_t cap)
{
    struct timespec now;
    struct tm tm;
    out[0] = '\0';
    if (stderr_is_journal() || clock_gettime(CLOCK_REALTIME, &now) != 0 ||
        !gmtime_r(&now.tv_sec, &tm))
        return;
    snprintf(out, cap, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(now.tv_nsec / 1000000L));
}

/* One event per line, logfmt (journald/Loki friendly):
 *   ts=2026-12-04T10:11:12.345Z level=info component=node msg="node 1 serving raft on 127.0.0.1:7101"
 * (no ts= under the journal) */
void skv_logv(int level, int min_level, const char *component,
              const char *fmt, va_list ap)
{
    char msg[1024], line[2300], ts[96];
    int n;
    size_t len;
    if (level < min_level)
        return;
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        return;
    put_ts(ts, sizeof ts);
    n = snprintf(line, sizeof line, "%slevel=%s component=%s msg=\"", ts,
                 skv_log_level_name(level), component ? component : "core");
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    len = put_escaped(line, sizeof line - 2, (size_t)n, msg);
    line[len++] = '"';
    line[len++] = '\n';
    if (write(STDERR_FILENO, line, len) < 0) {
        /* nothing sensible to do: stderr is gone */
    }
}

void skv_log(int level, int min_level, const char *component,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    skv_logv(level, min_level, component, fmt, ap);
    va_end(ap);
}
