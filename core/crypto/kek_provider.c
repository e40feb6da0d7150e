/* SPDX-License-Identifier: MIT */
/*
 * kek_provider.c — opens a KEK kept in an HSM (encryption.kek_pkcs11,
 * kek.h "Provider KEK"): reads the user PIN from its file with the KEK
 * file's checks into sodium_malloc memory, hands it to the cipher
 * plugin's kek_open (<sealkv/cipher.h> "Key provider") and wipes it; maps
 * the step that failed to its catalogue name. The PIN never reaches a
 * message or a log.
 */
#include "crypto/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIN_MAX 256

static int pin_open(const char *what, const char *path, int *fd, struct skv_enc_err *e)
{
    int err;
    if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) >= 0)
        return SKV_OK;
    err = errno;
    if (err == ENOENT || err == ENOTDIR)
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_KEK_FILE_MISSING,
                            "%s: pin file %s does not exist", what, path);
    if (err == ELOOP)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_NOT_REGULAR,
                            "%s: pin file %s is a symbolic link: refused", what, path);
    return skv_enc_fail(e, SKV_ERR_IO, SKV_ENC_KEK_FILE_UNREADABLE,
                        "%s: pin file %s: cannot open: %s", what, path, strerror(err));
}

/* A regular file of ours, mode 0600/0400, 1..PIN_MAX bytes. */
static int pin_stat(const char *what, const char *path, int fd, struct skv_enc_err *e)
{
    struct stat st;
    unsigned mode;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_NOT_REGULAR,
                            "%s: pin file %s is not a regular file", what, path);
    mode = (unsigned)(st.st_mode & 07777);
    if (mode != 0600 && mode != 0400)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_PERMISSIONS,
                            "%s: pin file %s has mode %04o: must be 0600 or 0400", what,
                            path, mode);
    if (st.st_uid != geteuid())
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_FILE_OWNER,
                            "%s: pin file %s is owned by uid %u, not by the current user "
                            "(uid %u)", what, path, (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_size < 1 || st.st_size > PIN_MAX + 2)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                            "%s: pin file %s must hold 1 to %d bytes, found %lld", what,
                            path, PIN_MAX, (long long)st.st_size);
    return SKV_OK;
}

/* Read the PIN into `pin` (PIN_MAX + 3 bytes of sodium memory). */
static int pin_read(const char *what, const char *path, uint8_t *pin, size_t *len,
                    struct skv_enc_err *e)
{
    int fd = -1, rc;
    ssize_t n = 0;
    size_t got = 0;
    if ((rc = pin_open(what, path, &fd, e)) != SKV_OK)
        return rc;
    if ((rc = pin_stat(what, path, fd, e)) == SKV_OK) {
        while (got < PIN_MAX + 3 && ((n = read(fd, pin + got, PIN_MAX + 3 - got)) > 0 ||
                                     (n < 0 && errno == EINTR)))
            got += n > 0 ? (size_t)n : 0;
        if (n < 0)
            rc = skv_enc_fail(e, SKV_ERR_IO, SKV_ENC_KEK_FILE_UNREADABLE,
                              "%s: pin file %s: read failed: %s", what, path, strerror(errno));
    }
    close(fd);
    if (got && pin[got - 1] == '\n')
        got--;
    if (got && pin[got - 1] == '\r')
        got--;
    if (rc == SKV_OK && (got == 0 || got > PIN_MAX))
        rc = skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_KEK_INVALID,
                          "%s: pin file %s must hold a PIN of 1 to %d bytes", what, path,
                          PIN_MAX);
    *len = got;
    return rc;
}

static int why_of(int failed)
{
    switch (failed) {
    case SKV_CIPHER_KEK_FAIL_MODULE: return SKV_ENC_PKCS11_MODULE;
    case SKV_CIPHER_KEK_FAIL_TOKEN: return SKV_ENC_PKCS11_TOKEN;
    case SKV_CIPHER_KEK_FAIL_PIN: return SKV_ENC_PKCS11_PIN;
    case SKV_CIPHER_KEK_FAIL_KEY: return SKV_ENC_PKCS11_KEY;
    case SKV_CIPHER_KEK_FAIL_MECHANISM: return SKV_ENC_PKCS11_MECHANISM;
    default: return SKV_ENC_PKCS11;
    }
}

static int open_with_pin(const struct skv_cipher_ops *ops, void *cstate,
                         const struct skv_kek_pkcs11_ref *ref, const char *what,
                         const uint8_t *pin, size_t pin_len, struct skv_kek **out,
                         struct skv_enc_err *e)
{
    struct skv_cipher_kek_ref r;
    struct skv_err perr = {0, ""};
    char id[SKV_CIPHER_KEK_ID_LEN + 1] = "";
    void *h = NULL;
    int failed = SKV_CIPHER_KEK_FAIL_OTHER, rc;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.provider = "pkcs11";
    r.module = ref->module;
    r.token_label = ref->token_label;
    r.key_label = ref->key_label;
    r.pin = pin;
    r.pin_len = pin_len;
    rc = ops->kek_open(cstate, &r, &h, id, &failed, &perr);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, why_of(failed), "%s: %s", what, perr.msg);
    id[SKV_CIPHER_KEK_ID_LEN] = '\0';
    if (strspn(id, "0123456789abcdef") != SKV_CIPHER_KEK_ID_LEN) {
        ops->kek_close(h);
        return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_PKCS11,
                            "%s: the cipher plugin returned a malformed KEK id", what);
    }
    return skv_kek_from_provider(ops, h, id, "pkcs11", out, e);
}

int skv_kek_open_pkcs11(const struct skv_cipher_ops *ops, void *cstate,
                        const struct skv_kek_pkcs11_ref *ref, const char *what,
                        struct skv_kek **out, struct skv_enc_err *e)
{
    uint8_t *pin;
    size_t pin_len = 0;
    int rc;
    if (!ops || !ref || !ref->module || !ref->token_label || !ref->key_label ||
        !ref->pin_file || !out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "%s: incomplete", what);
    *out = NULL;
    if (!SKV_HAS(ops, struct skv_cipher_ops, kek_open) ||
        !SKV_HAS(ops, struct skv_cipher_ops, kek_wrap) ||
        !SKV_HAS(ops, struct skv_cipher_ops, kek_unwrap) ||
        !SKV_HAS(ops, struct skv_cipher_ops, kek_close))
        return skv_enc_fail(e, SKV_ERR_UNSUPPORTED, SKV_ENC_KEK_PROVIDER_UNSUPPORTED,
                            "%s: the cipher plugin has no key provider (ABI 1.3 kek_open/"
                            "kek_wrap/kek_unwrap/kek_close): use cipher-sodium or "
                            "encryption.kek_file", what);
    if (!(pin = sodium_malloc(PIN_MAX + 3)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "%s: out of secure memory", what);
    rc = pin_read(what, ref->pin_file, pin, &pin_len, e);
    if (rc == SKV_OK)
        rc = open_with_pin(ops, cstate, ref, what, pin, pin_len, out, e);
    sodium_free(pin);   /* wipes */
    return rc;
}
