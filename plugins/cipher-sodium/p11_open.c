/* SPDX-License-Identifier: MIT */
/*
 * p11_open.c — the PKCS#11 provider's way into a token: dlopen the
 * module named in the KEK reference, C_GetFunctionList, C_Initialize
 * (OS locking), the slot whose token carries the label, a session and
 * C_Login with the host's PIN (used in place, never copied or logged);
 * and the way back out. Each failure names the step (SKV_CIPHER_KEK_FAIL_*).
 */
#include "p11.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#define MAX_SLOTS 256

const char *skv_p11_rv_name(CK_RV rv)
{
    static const struct { CK_RV rv; const char *name; } names[] = {
        {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"}, {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
        {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"}, {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
        {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
        {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
        {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
        {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"}, {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
        {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
        {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
        {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID"},
        {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"}, {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
    };
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].rv == rv)
            return names[i].name;
    return "another CKR code";
}

static int load_module(struct skv_p11_kek *k, const char *module, int *failed,
                       struct skv_err *err)
{
    CK_C_GetFunctionList get = NULL;
    CK_C_INITIALIZE_ARGS args;
    const char *why;
    CK_RV rv;
    *failed = SKV_CIPHER_KEK_FAIL_MODULE;
    if (!(k->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL))) {
        why = dlerror();
        return skv_err_set(err, SKV_ERR_NOTFOUND, "PKCS#11 module %.100s cannot be "
                           "loaded: %.120s", module, why ? why : "dlopen failed");
    }
    *(void **)&get = dlsym(k->dl, "C_GetFunctionList");
    if (!get || get(&k->f) != CKR_OK || !k->f)
        return skv_err_set(err, SKV_ERR_NOTFOUND, "%.100s is not a PKCS#11 module (no "
                           "usable C_GetFunctionList)", module);
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = k->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return skv_err_set(err, SKV_ERR_IO, "PKCS#11 module %.100s: C_Initialize "
                           "failed: %s (0x%lx)", module, skv_p11_rv_name(rv),
                           (unsigned long)rv);
    k->finalize = rv == CKR_OK;
    return SKV_OK;
}

/* The slot whose token label (blank-padded to 32 bytes) is `label`. */
static int find_token(struct skv_p11_kek *k, const char *label, int *failed,
                      struct skv_err *err)
{
    CK_SLOT_ID slots[MAX_SLOTS];
    CK_ULONG i, n = MAX_SLOTS;
    unsigned char want[32];
    size_t l = strlen(label);
    *failed = SKV_CIPHER_KEK_FAIL_TOKEN;
    if (l == 0 || l > sizeof want)
        return skv_err_set(err, SKV_ERR_NOTFOUND, "PKCS#11 token label must be 1 to 32 "
                           "bytes, found %zu", l);
    memset(want, ' ', sizeof want);
    memcpy(want, label, l);
    if (k->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        n = 0;
    for (i = 0; i < n && i < MAX_SLOTS; i++) {
        CK_TOKEN_INFO ti;
        if (k->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
            memcmp(ti.label, want, sizeof want) == 0) {
            k->slot = slots[i];
            return SKV_OK;
        }
    }
    return skv_err_set(err, SKV_ERR_NOTFOUND, "PKCS#11 token '%s' not found (%lu "
                       "token(s) present)", k->token, (unsigned long)n);
}

static int login(struct skv_p11_kek *k, const struct skv_cipher_kek_ref *ref, int *failed,
                 struct skv_err *err)
{
    CK_RV rv = k->f->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, &k->s);
    *failed = SKV_CIPHER_KEK_FAIL_OTHER;
    if (rv != CKR_OK)
        return skv_err_set(err, SKV_ERR_IO, "PKCS#11 token '%s': cannot open a session: "
                           "%s (0x%lx)", k->token, skv_p11_rv_name(rv), (unsigned long)rv);
    k->session_open = 1;
    rv = k->f->C_Login(k->s, CKU_USER, (CK_UTF8CHAR_PTR)ref->pin, ref->pin_len);
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
        k->logged_in = rv == CKR_OK;
        return SKV_OK;
    }
    *failed = SKV_CIPHER_KEK_FAIL_PIN;
    return skv_err_set(err, SKV_ERR_CONFIG, "PKCS#11 token '%s' refused the PIN: %s "
                       "(0x%lx)", k->token, skv_p11_rv_name(rv), (unsigned long)rv);
}

int skv_p11_connect(struct skv_p11_kek *k, const struct skv_cipher_kek_ref *ref,
                    int *failed, struct skv_err *err)
{
    int rc;
    snprintf(k->token, sizeof k->token, "%s", ref->token_label);
    if ((rc = load_module(k, ref->module, failed, err)) != SKV_OK ||
        (rc = find_token(k, ref->token_label, failed, err)) != SKV_OK)
        return rc;
    return login(k, ref, failed, err);
}

void skv_p11_disconnect(struct skv_p11_kek *k)
{
    if (k->f && k->logged_in)
        k->f->C_Logout(k->s);
    if (k->f && k->session_open)
        k->f->C_CloseSession(k->s);
    if (k->f && k->finalize)
        k->f->C_Finalize(NULL);
    if (k->dl)
        dlclose(k->dl);
    k->logged_in = k->session_open = k->finalize = 0;
    k->f = NULL;
    k->dl = NULL;
}
