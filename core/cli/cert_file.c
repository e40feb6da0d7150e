/* SPDX-License-Identifier: MIT */
/*
 * cert_file.c — writes a key + certificate pair crash-safely and reads
 * the cluster CA pair back (see cert_file.h).
 *
 * Each file goes to ".<name>.tmp.<pid>" (O_CREAT|O_EXCL|O_NOFOLLOW, its
 * final mode set with fchmod), is fsync'd, then renamed into place —
 * without force by renameat2(RENAME_NOREPLACE) (or link+unlink where the
 * file system lacks it), so a file that appeared meanwhile is not
 * replaced either. The key goes first; if the certificate cannot follow,
 * the new key is removed again.
 */
#define _GNU_SOURCE
#include "cli/cert_file.h"
#include "cli/cert_x509.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pem_out {
    char name[160], tmp[192];
    mode_t mode;
    BIO *bio;
    int tmp_made, placed;
};

/* The directory, created 0700 if missing; an O_DIRECTORY fd or -1. */
static int open_dir(const char *dir, char *err, size_t errlen)
{
    int fd;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "cannot open directory %s: %s", dir, strerror(errno));
    return fd;
}

/* 0 if name does not exist in dfd (or force), else -1 with err. */
static int check_absent(int dfd, const char *dir, const char *name, int force, char *err,
                        size_t errlen)
{
    struct stat st;
    if (force || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (force || errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot check %s/%s: %s", dir, name, strerror(errno));
        return -1;
    }
    snprintf(err, errlen, "%s/%s already exists (use --force to replace it)", dir, name);
    return -1;
}

/* The whole buffer to fd. 0 or -1 (errno). */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -1 : (errno = EIO, -1);
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* o->bio's bytes to a new o->tmp in dfd: exact mode, fsync'd, closed. */
static int write_tmp(int dfd, const char *dir, struct pem_out *o, char *err, size_t errlen)
{
    char *data;
    long len = BIO_get_mem_data(o->bio, &data);
    const char *what = "create";
    int fd = openat(dfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, o->mode);

    if (fd >= 0) {
        o->tmp_made = 1;
        if ((what = "chmod", fchmod(fd, o->mode) != 0) ||
            (what = "write", len < 0 || write_all(fd, data, (size_t)len) != 0) ||
            (what = "fsync", fsync(fd) != 0)) {
            int e = errno;
            close(fd);
            errno = e;
            fd = -1;
        } else if ((what = "close", close(fd) != 0)) {
            fd = -1;
        }
    }
    if (fd < 0)
        snprintf(err, errlen, "cannot %s %s/%s: %s", what, dir, o->tmp, strerror(errno));
    return fd < 0 ? -1 : 0;
}

/* Rename o->tmp to o->name; without force never replaces a file. */
static int place(int dfd, const char *dir, struct pem_out *o, int force, char *err,
                 size_t errlen)
{
    int rc = force ? renameat(dfd, o->tmp, dfd, o->name)
                   : renameat2(dfd, o->tmp, dfd, o->name, RENAME_NOREPLACE);

    if (rc != 0 && !force && (errno == EINVAL || errno == ENOSYS)) {
        rc = linkat(dfd, o->tmp, dfd, o->name, 0);
        if (rc == 0)
            (void)unlinkat(dfd, o->tmp, 0); /* a leftover link is harmless */
    }
    if (rc != 0 && errno == EEXIST) {
        snprintf(err, errlen, "%s/%s already exists (use --force to replace it)", dir, o->name);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot rename into %s/%s: %s", dir, o->name, strerror(errno));
        return -1;
    }
    o->tmp_made = 0;
    o->placed = 1;
    return 0;
}

/* Names and PEM text of the two files; 0 or -1 with err. */
static int prepare(struct pem_out o[2], const char *base, EVP_PKEY *key, X509 *crt, char *err,
                   size_t errlen)
{
    static const char *const ext[2] = {"key", "crt"};
    int i;

    for (i = 0; i < 2; i++) {
        snprintf(o[i].name, sizeof o[i].name, "%s.%s", base, ext[i]);
        snprintf(o[i].tmp, sizeof o[i].tmp, ".%s.tmp.%ld", o[i].name, (long)getpid());
        o[i].mode = i == 0 ? 0600 : 0644;
        if (!(o[i].bio = BIO_new(BIO_s_mem())))
            return skv_cert_ssl_err(err, errlen, "out of memory"), -1;
    }
    if (PEM_write_bio_PrivateKey(o[0].bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_X509(o[1].bio, crt) != 1)
        return skv_cert_ssl_err(err, errlen, "cannot encode PEM"), -1;
    return 0;
}

/* Both temporaries written and both files placed; the directory synced. */
static int commit(int dfd, const char *dir, struct pem_out o[2], int force, char *err,
                  size_t errlen)
{
    int i;
    for (i = 0; i < 2; i++)
        if (check_absent(dfd, dir, o[i].name, force, err, errlen) != 0)
            return -1;
    for (i = 0; i < 2; i++)
        if (write_tmp(dfd, dir, &o[i], err, errlen) != 0)
            return -1;
    for (i = 0; i < 2; i++)
        if (place(dfd, dir, &o[i], force, err, errlen) != 0)
            return -1;
    if (fsync(dfd) != 0) {
        snprintf(err, errlen, "cannot fsync directory %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int skv_cert_save(const char *dir, const char *base, EVP_PKEY *key, X509 *crt, int force,
                  char *err, size_t errlen)
{
    struct pem_out o[2];
    int i, rc = -1, dfd;

    memset(o, 0, sizeof o);
    if ((dfd = open_dir(dir, err, errlen)) < 0)
        return -1;
    if (prepare(o, base, key, crt, err, errlen) == 0)
        rc = commit(dfd, dir, o, force, err, errlen);
    for (i = 0; i < 2; i++) {
        if (o[i].tmp_made)
            (void)unlinkat(dfd, o[i].tmp, 0);
        if (rc != 0 && o[i].placed) /* never leave half a pair */
            (void)unlinkat(dfd, o[i].name, 0);
        BIO_free(o[i].bio);
    }
    close(dfd);
    return rc;
}

/* PEM passphrase callback: sealkv's keys are never encrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

/* One PEM object from dir/name: an X509 (want_key 0) or a private key. */
static void *read_pem(const char *dir, const char *name, int want_key, char *err, size_t errlen)
{
    char path[4096];
    void *obj = NULL;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "re"))) {
        snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(errno),
                 errno == ENOENT ? " (create the CA first: sealkv cert create-ca)" : "");
        return NULL;
    }
    obj = want_key ? (void *)PEM_read_PrivateKey(f, NULL, no_passphrase, NULL)
                   : (void *)PEM_read_X509(f, NULL, no_passphrase, NULL);
    fclose(f);
    if (!obj) {
        char what[4200];
        snprintf(what, sizeof what, "%s is not an unencrypted PEM %s", path,
                 want_key ? "private key" : "certificate");
        skv_cert_ssl_err(err, errlen, what);
    }
    return obj;
}

/* Why ca cannot sign with key, or NULL. */
static const char *ca_problem(X509 *ca, EVP_PKEY *key)
{
    if (X509_check_private_key(ca, key) != 1)
        return "ca.key does not belong to ca.crt";
    if (X509_check_ca(ca) != 1)
        return "ca.crt is not a CA certificate";
    if (X509_cmp_current_time(X509_get0_notAfter(ca)) <= 0)
        return "ca.crt has expired";
    return NULL;
}

int skv_cert_load_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, char *err, size_t errlen)
{
    const char *why;

    *ca = read_pem(dir, "ca.crt", 0, err, errlen);
    *ca_key = *ca ? read_pem(dir, "ca.key", 1, err, errlen) : NULL;
    if (*ca_key && (why = ca_problem(*ca, *ca_key)) != NULL) {
        ERR_clear_error();
        snprintf(err, errlen, "%s/%s", dir, why);
        EVP_PKEY_free(*ca_key);
        *ca_key = NULL;
    }
    if (*ca_key)
        return 0;
    X509_free(*ca);
    *ca = NULL;
    return -1;
}
