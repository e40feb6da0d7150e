/* SPDX-License-Identifier: MIT */
/*
 * p11_fx.h — fixture for the PKCS#11 key-provider suites: a throwaway
 * SoftHSM 2 token in a temp dir (SOFTHSM2_CONF pointing at it), a user
 * PIN file, and AES keys generated inside the token by
 * tests/integration/skv_p11_keygen (never extractable unless asked).
 * p11_fx_setup returns 77 when SoftHSM 2 is not installed.
 */
#ifndef SKV_P11_FX_H
#define SKV_P11_FX_H

#include "skv_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define P11_FX_TOKEN "sealkv-unit"
#define P11_FX_PIN "31415926"

struct p11_fx {
    char *dir;
    char module[256];
    char conf[600], pin_file[600], keygen[600];
};

/* The SoftHSM 2 module, from $SKV_SOFTHSM_MODULE or Debian's paths. */
static inline int p11_fx_module(char *out, size_t len)
{
    static const char *const paths[] = {"/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", NULL};
    const char *env = getenv("SKV_SOFTHSM_MODULE");
    size_t i;
    if (env && access(env, R_OK) == 0) {
        snprintf(out, len, "%s", env);
        return 0;
    }
    for (i = 0; paths[i]; i++)
        if (access(paths[i], R_OK) == 0) {
            snprintf(out, len, "%s", paths[i]);
            return 0;
        }
    return -1;
}

static inline int p11_fx_write(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t n = strlen(text);
    if (fd < 0 || write(fd, text, n) != (ssize_t)n || fchmod(fd, mode) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd);
}

/* Generate AES-256 key `label` in the token (extractable: a bad KEK). */
static inline int p11_fx_keygen(struct p11_fx *f, const char *label, int extractable)
{
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' '%s'%s", f->keygen, f->module,
             P11_FX_TOKEN, f->pin_file, label, extractable ? " --extractable" : "");
    return system(cmd) == 0 ? 0 : -1;
}

/* 0 ready, 77 SoftHSM 2 missing, -1 failure. */
static inline int p11_fx_setup(struct p11_fx *f)
{
    char text[1400], cmd[1600];
    const char *bd = getenv("SKV_TOP_BUILDDIR");
    memset(f, 0, sizeof *f);
    if (p11_fx_module(f->module, sizeof f->module) != 0 ||
        system("softhsm2-util --version >/dev/null 2>&1") != 0)
        return 77;
    if (!(f->dir = skv_test_tmpdir("p11")))
        return -1;
    snprintf(f->keygen, sizeof f->keygen, "%s/tests/integration/skv_p11_keygen",
             bd ? bd : ".");
    snprintf(f->conf, sizeof f->conf, "%s/softhsm2.conf", f->dir);
    snprintf(f->pin_file, sizeof f->pin_file, "%s/pin", f->dir);
    snprintf(text, sizeof text, "directories.tokendir = %s/tokens\n"
             "objectstore.backend = file\nlog.level = ERROR\n", f->dir);
    snprintf(cmd, sizeof cmd, "%s/tokens", f->dir);
    if (mkdir(cmd, 0700) != 0 || p11_fx_write(f->conf, text, 0600) != 0 ||
        p11_fx_write(f->pin_file, P11_FX_PIN "\n", 0600) != 0 ||
        setenv("SOFTHSM2_CONF", f->conf, 1) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "softhsm2-util --init-token --free --label " P11_FX_TOKEN
             " --pin " P11_FX_PIN " --so-pin 27182818 >/dev/null");
    return system(cmd) == 0 ? 0 : -1;
}

static inline void p11_fx_teardown(struct p11_fx *f)
{
    if (f->dir) {
        skv_test_rmtree(f->dir);
        free(f->dir);
    }
    f->dir = NULL;
}

#endif /* SKV_P11_FX_H */
