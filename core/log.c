/*
 * log.c — formats log events as logfmt lines (level=, component=, msg=)
 * and writes each to stderr in one write(2), so lines from different
 * threads never interleave and one event is always one line.
 */
#include "log.h"

#include <sealkv/plugin.h>
#include <stdio.h>
#include <string.h>
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

/* One event per line, logfmt (journald/Loki friendly):
 *   level=info component=node msg="node 1 serving raft on 127.0.0.1:7101" */
void skv_logv(int level, int min_level, const char *component,
              const char *fmt, va_list ap)
{
    char msg[1024], line[2200];
    int n;
    size_t len;
    if (level < min_level)
        return;
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        return;
    n = snprintf(line, sizeof line, "level=%s component=%s msg=\"", skv_log_level_name(level),
                 component ? component : "core");
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
