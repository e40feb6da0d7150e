/* SPDX-License-Identifier: MIT */
/*
 * path.c — the prefix walk of path.h and `mkdir -p` on top of it (see
 * path.h).
 */
#include "util/path.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int skv_path_walk(const char *path, skv_path_step_fn *step, void *arg, char *err,
                  size_t errlen)
{
    char buf[SKV_PATH_MAX + 1];
    size_t i, len = strlen(path);
    if (len >= sizeof buf) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        int rc;
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        buf[i] = 0;
        if ((rc = step(buf, arg)) != 0) {
            if (rc < 0)
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            return rc;
        }
        buf[i] = path[i];
    }
    return 0;
}

static int mkdir_step(const char *prefix, void *arg)
{
    (void)arg;
    return mkdir(prefix, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int skv_path_mkdir(const char *path, char *err, size_t errlen)
{
    return skv_path_walk(path, mkdir_step, NULL, err, errlen) < 0 ? -1 : 0;
}

int skv_path_dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (!d)
        return errno == ENOENT ? 1 : -1;
    while (empty && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    return empty;
}
