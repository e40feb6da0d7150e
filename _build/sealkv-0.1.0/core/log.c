/*
 * log.c — formats and writes log lines to stderr in one write(2) each, so
 * lines from different threads never interleave.
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

void skv_logv(int level, int min_level, const char *component,
              const char *fmt, va_list ap)
{
    char line[1024];
    int n, m;
    if (level < min_level)
        return;
    n = snprintf(line, sizeof line, "%s %s: ", skv_log_level_name(level),
                 component ? component : "core");
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    n = (size_t)(n + m) >= sizeof line - 1 ? (int)sizeof line - 2 : n + m;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
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
