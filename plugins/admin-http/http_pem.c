/* SPDX-License-Identifier: MIT */
/*
 * http_pem.c — owns reading admin-http's credential files: open without
 * following a symlink for the key, fstat checks (regular file, size,
 * permissions of the key), one bounded read into sodium_malloc memory
 * that is wiped when freed.
 */
#include "http_pem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

void skv_http_pem_free(struct skv_http_pem *p)
{
    if (!p)
        return;
    sodium_free(p->data);           /* wipes */
    p->data = NULL;
    p->len = 0;
}

static int check_stat(const char *option, const char *path, int fd,
                      int secret, size_t *size, struct skv_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': '%s' is not a regular file", option,
                           path);
    if (st.st_size < 1 || st.st_size > SKV_HTTP_PEM_MAX)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': '%s' must hold 1..%d bytes of PEM",
                           option, path, SKV_HTTP_PEM_MAX);
    if (secret && (st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)))
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': private key '%s' is accessible by "
                           "others (mode %04o); chmod 0600 it",
                           option, path, (unsigned)(st.st_mode & 07777));
    *size = (size_t)st.st_size;
    return SKV_OK;
}

static int read_all(int fd, unsigned char *buf, size_t want, size_t *got)
{
    size_t n = 0;
    while (n < want) {
        ssize_t r = read(fd, buf + n, want - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    *got = n;
    return n > 0 ? 0 : -1;
}

int skv_http_pem_read(const char *option, const char *path, int secret,
                      struct skv_http_pem *out, struct skv_err *err)
{
    size_t size = 0, got = 0;
    int rc, fd;

    out->data = NULL;
    out->len = 0;
    if (sodium_init() < 0)
        return skv_err_set(err, SKV_ERR_INTERNAL, "libsodium init failed");
    fd = open(path, O_RDONLY | O_CLOEXEC | (secret ? O_NOFOLLOW : 0));
    if (fd < 0)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': cannot open '%s': %s", option, path,
                           strerror(errno));
    if ((rc = check_stat(option, path, fd, secret, &size, err)) != SKV_OK) {
        close(fd);
        return rc;
    }
    out->data = sodium_malloc(size + 1);
    if (!out->data) {
        close(fd);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    rc = read_all(fd, out->data, size, &got);
    close(fd);
    if (rc != 0) {
        skv_http_pem_free(out);
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': cannot read '%s'", option, path);
    }
    out->data[got] = '\0';
    out->len = got;
    return SKV_OK;
}
