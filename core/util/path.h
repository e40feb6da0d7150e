/* SPDX-License-Identifier: MIT */
/*
 * path.h — the walk over a path's directory prefixes that `mkdir -p`
 * makes: node.c creates the data directory with it and preflight.c
 * checks, with the same walk, that start would be able to.
 */
#ifndef SKV_PATH_H
#define SKV_PATH_H

#include <stddef.h>

/* Longest path the walk takes (bytes, without the NUL). */
#define SKV_PATH_MAX 4095

/* Called with each prefix of the path that ends before a '/' or at its
 * end ("a", "a/b", "a/b/c" for "a/b/c"; "/a", "/a/b" for "/a/b"), in
 * that order. Returns 0 to go on, 1 to stop the walk there, or -1 with
 * errno set: the prefix could not be created. */
typedef int skv_path_step_fn(const char *prefix, void *arg);

/* Walk `path` with `step`. Returns 1 if a step stopped the walk, 0 if it
 * went through (an empty path has no prefix), or -1 with "cannot create
 * <prefix>: <errno text>" (or "<path>: path too long") in err. */
int skv_path_walk(const char *path, skv_path_step_fn *step, void *arg, char *err,
                  size_t errlen);

/* `mkdir -p path` with mode 0700 for what it creates (an existing
 * directory is fine). 0, or -1 with the reason in err. */
int skv_path_mkdir(const char *path, char *err, size_t errlen);

/* 1 if dir holds no entry but . and .. (or does not exist), 0 if it
 * holds one, -1 on error (errno set). */
int skv_path_dir_empty(const char *dir);

#endif /* SKV_PATH_H */
