/* SPDX-License-Identifier: MIT */
/*
 * kek.c — loads the key-encryption key from a key file or from
 * $SEALKV_KEK_BASE64 into sodium_malloc memory. Each refusal is one
 * message naming the file and what was found; key bytes never reach a
 * message or a log.
 */
#include "crypto/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void skv_kek_free(struct skv_kek *k);

struct skv_kek {
    uint8_t b[SKV_KEK_LEN];        /* all zero for a provider KEK */
    char id[SKV_KEK_ID_HEX + 1];   /* kek.h: the public fingerprint */
    const struct skv_cipher_ops *pops;   /* provider KEK: the plugin's ops */
    void *ph;                            /* ... and its handle; else NULL */
    char provider[16];                   /* "file" or the provider's name */
};

/* kek.h "KEK id": keyed BLAKE2b of a fixed label under the KEK. */
static int kek_fingerprint(struct skv_kek *k)
{
    static const unsigned char label[] = "kek-id v1";
    unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] = "sealkv-kek-id";
    unsigned char out[SKV_KEK_ID_BYTES];
    int rc = crypto_generichash_blake2b_salt_personal(out, sizeof out, label,
                                                      sizeof label - 1, k->b, sizeof k->b,
                                                      NULL, personal);
    if (rc == 0)
        sodium_bin2hex(k->id, sizeof k->id, out, sizeof out);
    sodium_memzero(out, sizeof out);
    return rc;
}

/* A zeroed, writable KEK block. */
static int kek_alloc(struct skv_kek **out, struct skv_enc_err *e)
{
    *out = NULL;
    if (sodium_init() < 0)
        return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_CIPHER, "sodium_init() failed");
    if (!(*out = sodium_malloc(sizeof **out)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM,
                            "out of secure memory for the KEK");
    sodium_memzero(*out, sizeof **out);
    return SKV_OK;
}

/* Make the filled block read-only and hand it out. */
static int kek_finish(struct skv_kek *k, struct skv_kek **out, struct skv_enc_err *e)
{
    if (!k->ph)
        snprintf(k->provider, sizeof k->provider, "file");
    if (!k->ph && kek_fingerprint(k) != 0) {
        sodium_free(k);
        return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_CIPHER, "cannot compute the KEK id");
    }
    if (sodium_mprotect_readonly(k) != 0) {
        skv_kek_free(k);
        return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_NOMEM,
                            "cannot make KEK memory read-only");
    }
    *out = k;
    skv_enc_err_clear(e);
    return SKV_OK;
}

static int kek_open(const char *path, int *fd, struct skv_enc_err *e)
{
    int err;
    *fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (*fd >= 0)
        return SKV_OK;
    err = errno;
    if (err == ENOENT || err == ENOTDIR)
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_KEK_FILE_MISSING,
                            "kek file %s does not exist", path);
    if (err == ELOOP)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_NOT_REGULAR,
                            "kek file %s is a symbolic link: refused (name the "
                            "key file itself)", path);
    return skv_enc_fail(e, SKV_ERR_IO, SKV_ENC_KEK_FILE_UNREADABLE,
                        "kek file %s: cannot open: %s", path, strerror(err));
}

/* A systemd credential (LoadCredential=): a file directly inside
 * $CREDENTIALS_DIRECTORY, which systemd keeps private to the unit. Newer
 * systemd (>= 254) hands it over owned by root with mode 0440 and an ACL
 * for the service user; that is accepted there and nowhere else. */
static int systemd_credential(const char *path, const struct stat *st)
{
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    size_t dl = dir ? strlen(dir) : 0;
    unsigned mode = (unsigned)(st->st_mode & 07777);
    return dl > 1 && strncmp(path, dir, dl) == 0 && path[dl] == '/' &&
           !strchr(path + dl + 1, '/') && st->st_uid == 0 && (mode == 0440 || mode == 0400);
}

/* Regular file, mode 0600/0400, ours, 32 bytes (or a systemd credential). */
static int kek_check_stat(const char *path, int fd, struct skv_enc_err *e)
{
    struct stat st;
    unsigned mode;
    if (fstat(fd, &st) != 0)
        return skv_enc_fail(e, SKV_ERR_IO, SKV_ENC_KEK_FILE_UNREADABLE,
                            "kek file %s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_NOT_REGULAR,
                            "kek file %s is %s, not a regular file", path,
                            S_ISDIR(st.st_mode) ? "a directory" : "a special file");
    mode = (unsigned)(st.st_mode & 07777);
    if (S_ISREG(st.st_mode) && systemd_credential(path, &st) && st.st_size == SKV_KEK_LEN)
        return SKV_OK;
    if (mode != 0600 && mode != 0400)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_PERMISSIONS,
                            "kek file %s has mode %04o: must be 0600 or 0400", path, mode);
    if (st.st_uid != geteuid())
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_OWNER,
                            "kek file %s is owned by uid %u, not by the current "
                            "user (uid %u)", path, (unsigned)st.st_uid,
                            (unsigned)geteuid());
    if (st.st_size != SKV_KEK_LEN)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                            "kek file %s must hold exactly %d bytes, found %lld",
                            path, SKV_KEK_LEN, (long long)st.st_size);
    return SKV_OK;
}

/* Read up to `len` bytes; *got is how many arrived before EOF. */
static int read_full(int fd, uint8_t *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = read(fd, buf + *got, len - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* Exactly 32 bytes, then EOF (the file may have changed since fstat). */
static int kek_read(const char *path, int fd, struct skv_kek *k, struct skv_enc_err *e)
{
    uint8_t extra[1];
    size_t got, more;
    if (read_full(fd, k->b, sizeof k->b, &got) != 0 ||
        read_full(fd, extra, sizeof extra, &more) != 0) {
        sodium_memzero(extra, sizeof extra);
        return skv_enc_fail(e, SKV_ERR_IO, SKV_ENC_KEK_FILE_UNREADABLE,
                            "kek file %s: read failed: %s", path, strerror(errno));
    }
    sodium_memzero(extra, sizeof extra);
    if (got != sizeof k->b || more != 0)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                            "kek file %s must hold exactly %d bytes, found %s%zu "
                            "(changed while reading)", path, SKV_KEK_LEN,
                            more ? "more than " : "", got);
    return SKV_OK;
}

int skv_kek_load_file(const char *path, struct skv_kek **out, struct skv_enc_err *e)
{
    struct skv_kek *k = NULL;
    int fd = -1, rc;
    if (!path || !*path || !out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "kek file: no path given");
    *out = NULL;
    if ((rc = kek_open(path, &fd, e)) != SKV_OK)
        return rc;
    if ((rc = kek_check_stat(path, fd, e)) == SKV_OK &&
        (rc = kek_alloc(&k, e)) == SKV_OK)
        rc = kek_read(path, fd, k, e);
    close(fd);
    if (rc != SKV_OK) {
        sodium_free(k);
        return rc;
    }
    return kek_finish(k, out, e);
}

int skv_kek_load_env(struct skv_kek **out, struct skv_enc_err *e)
{
    struct skv_kek *k;
    char *v;
    const char *end = NULL;
    size_t len, bin_len = 0;
    int rc, b64;
    if (!out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT, "kek: out is NULL");
    *out = NULL;
    if (!(v = getenv(SKV_KEK_ENV)))
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_KEK_MISSING,
                            SKV_KEK_ENV " is not set");
    len = strlen(v);
    rc = kek_alloc(&k, e);
    b64 = rc != SKV_OK ? -1 :
        sodium_base642bin(k->b, sizeof k->b, v, len, " \t\r\n", &bin_len, &end,
                          sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(v, len);   /* the environment's copy of the secret */
    unsetenv(SKV_KEK_ENV);
    if (rc != SKV_OK)
        return rc;
    if (b64 != 0 || end != v + len || bin_len != SKV_KEK_LEN) {
        sodium_free(k);
        if (b64 == 0 && end == v + len)
            return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                                SKV_KEK_ENV " must decode to exactly %d bytes, found %zu",
                                SKV_KEK_LEN, bin_len);
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                            SKV_KEK_ENV " is not standard base64 of exactly %d bytes",
                            SKV_KEK_LEN);
    }
    return kek_finish(k, out, e);
}

int skv_kek_from_bytes(const uint8_t *key, size_t len, struct skv_kek **out,
                       struct skv_enc_err *e)
{
    struct skv_kek *k;
    int rc;
    if (!out || !key)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "kek: key or out is NULL");
    *out = NULL;
    if (len != SKV_KEK_LEN)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                            "kek must be exactly %d bytes, found %zu", SKV_KEK_LEN, len);
    if ((rc = kek_alloc(&k, e)) != SKV_OK)
        return rc;
    memcpy(k->b, key, sizeof k->b);
    return kek_finish(k, out, e);
}

int skv_kek_from_provider(const struct skv_cipher_ops *ops, void *h, const char *id,
                          const char *provider, struct skv_kek **out,
                          struct skv_enc_err *e)
{
    struct skv_kek *k = NULL;
    int rc;
    if (!ops || !h || !id || strlen(id) != SKV_KEK_ID_HEX || !provider || !out) {
        if (ops && h)
            ops->kek_close(h);
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "provider KEK: bad handle, id or name");
    }
    if ((rc = kek_alloc(&k, e)) != SKV_OK) {
        ops->kek_close(h);
        return rc;
    }
    k->pops = ops;
    k->ph = h;
    memcpy(k->id, id, SKV_KEK_ID_HEX + 1);
    snprintf(k->provider, sizeof k->provider, "%s", provider);
    return kek_finish(k, out, e);
}

const char *skv_kek_provider(const struct skv_kek *k)
{
    return k ? k->provider : "";
}

const struct skv_cipher_ops *skv_kek_ops(const struct skv_kek *k)
{
    return k ? k->pops : NULL;
}

void *skv_kek_handle(const struct skv_kek *k)
{
    return k ? k->ph : NULL;
}

const uint8_t *skv_kek_bytes(const struct skv_kek *k)
{
    return k && !k->ph ? k->b : NULL;
}

const char *skv_kek_id(const struct skv_kek *k)
{
    return k ? k->id : "";
}

void skv_kek_free(struct skv_kek *k)
{
    if (k && k->ph)
        k->pops->kek_close(k->ph);   /* logs out of the token */
    if (k)
        sodium_free(k);   /* re-enables writes, wipes, unmaps */
}
