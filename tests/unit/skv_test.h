/* SPDX-License-Identifier: MIT */
/*
 * skv_test.h — tiny shared helpers for the CUnit suites: run the registry
 * and turn failures into the automake exit code; temp dirs.
 */
#ifndef SKV_TEST_H
#define SKV_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run every registered suite verbosely; return the process exit status
 * the automake harness expects (0 pass, 1 fail, 99 hard error). */
static inline int skv_test_run(void)
{
    unsigned failed;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (CU_basic_run_tests() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit error: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 99;
    }
    failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

/* mkdtemp under $TMPDIR (or /tmp); returns malloc'd path or NULL. */
static inline char *skv_test_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/skv-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(buf))
        return NULL;
    return strdup(buf);
}

/* rm -rf a directory tree created by skv_test_tmpdir. */
static inline void skv_test_rmtree(const char *path)
{
    char cmd[600];
    if (!path || strncmp(path, "/tmp/", 5) != 0 || strstr(path, ".."))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

#endif
