/* SPDX-License-Identifier: MIT */
/*
 * p11_open.c — the PKCS#11 provider's way into a token: dlopen the
 * module named in the KEK reference, C_GetFunctionList, C_Initialize
 * (OS locking), the slot whose token carries the label, a session and
 * C_Login with the host's PIN (used in place, never copied or logged);
 * and the way back out. A module is loaded and initialised once per
 * plugin instance, however many KEKs use it (the instance's reference
 * counted table), since PKCS#11 initialisation and login are per process.
 * Each failure names the step (SKV_CIPHER_KEK_FAIL_*).
 */
#include "p11.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* dlopen + C_GetFunctionList + C_Initialize into a new table entry. */
static int module_load(struct skv_p11_module *m, const char *module, int *failed,
                       struct skv_err *err)
{
    CK_C_GetFunctionList get = NULL;
    CK_C_INITIALIZE_ARGS args;
    const char *why;
    CK_RV rv;
    *failed = SKV_CIPHER_KEK_FAIL_MODULE;
    if (!(m->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL))) {
        why = dlerror();
        return skv_err_set(err, SKV_ERR_NOTFOUND, "PKCS#11 module %.100s cannot be "
                           "loaded: %.120s", module, why ? why : "dlopen failed");
    }
    *(void **)&get = dlsym(m->dl, "C_GetFunctionList");
    if (!get || get(&m->f) != CKR_OK || !m->f)
        return skv_err_set(err, SKV_ERR_NOTFOUND, "%.100s is not a PKCS#11 module (no "
                           "usable C_GetFunctionList)", module);
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    rv = m->f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return skv_err_set(err, SKV_ERR_IO, "PKCS#11 module %.100s: C_Initialize "
                           "failed: %s (0x%lx)", module, skv_p11_rv_name(rv),
                           (unsigned long)rv);
    m->finalize = rv == CKR_OK;   /* else another part of the process owns it */
    return SKV_OK;
}

static void module_unload(struct skv_p11_module *m)
{
    if (m->f && m->finalize)
        m->f->C_Finalize(NULL);
    if (m->dl)
        dlclose(m->dl);
    free(m->path);
    free(m);
}

/* The instance's entry for `module`, loaded on first use; one more ref. */
static int module_get(struct skv_sodium *s, const char *module, struct skv_p11_module **out,
                      int *failed, struct skv_err *err)
{
    struct skv_p11_module *m;
    int rc = SKV_OK;
    pthread_mutex_lock(&s->p11_mu);
    for (m = s->p11_mods; m && strcmp(m->path, module) != 0; m = m->next)
        ;
    if (!m && (!(m = calloc(1, sizeof *m)) || !(m->path = strdup(module)))) {
        free(m);
        m = NULL;
        rc = skv_err_set(err, SKV_ERR_NOMEM, "cipher-sodium: out of memory");
    } else if (!m->refs && (rc = module_load(m, module, failed, err)) != SKV_OK) {
        module_unload(m);
        m = NULL;
    } else if (!m->refs++) {
        m->next = s->p11_mods;
        s->p11_mods = m;
    }
    pthread_mutex_unlock(&s->p11_mu);
    *out = m;
    return rc;
}

static void module_put(struct skv_sodium *s, struct skv_p11_module *m)
{
    struct skv_p11_module **pp;
    pthread_mutex_lock(&s->p11_mu);
    if (--m->refs == 0) {
        for (pp = &s->p11_mods; *pp && *pp != m; pp = &(*pp)->next)
            ;
        if (*pp)
            *pp = m->next;
        module_unload(m);
    }
    pthread_mutex_unlock(&s->p11_mu);
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
    /* already logged in: another KEK of this process on the same token */
    rv = k->f->C_Login(k->s, CKU_USER, (CK_UTF8CHAR_PTR)ref->pin, ref->pin_len);
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return SKV_OK;
    *failed = SKV_CIPHER_KEK_FAIL_PIN;
    return skv_err_set(err, SKV_ERR_CONFIG, "PKCS#11 token '%s' refused the PIN: %s "
                       "(0x%lx)", k->token, skv_p11_rv_name(rv), (unsigned long)rv);
}

/* A file-backed token (SoftHSM) that another process is rewriting just
 * then (its login, a node of the same host starting) can be missing from
 * C_Initialize's scan. When this KEK holds the module alone and the
 * module was initialised here, finalise and initialise it again, up to
 * RESCANS times RESCAN_MS apart, until the token list changes. 1 if it
 * was rescanned. */
#define RESCANS 10
#define RESCAN_MS 200
static int rescan(struct skv_p11_kek *k)
{
    CK_C_INITIALIZE_ARGS args;
    CK_SLOT_ID slots[MAX_SLOTS];
    CK_ULONG before = MAX_SLOTS, now;
    struct timespec ts = {0, RESCAN_MS * 1000000L};
    int i;
    if (k->mod->refs != 1 || !k->mod->finalize ||
        k->f->C_GetSlotList(CK_TRUE, slots, &before) != CKR_OK)
        return 0;
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    for (i = 0; i < RESCANS; i++) {
        nanosleep(&ts, NULL);
        now = MAX_SLOTS;
        if (k->f->C_Finalize(NULL) != CKR_OK || k->f->C_Initialize(&args) != CKR_OK) {
            k->mod->finalize = 0;   /* no longer ours to finalise */
            return 0;
        }
        if (k->f->C_GetSlotList(CK_TRUE, slots, &now) == CKR_OK && now != before)
            return 1;
    }
    return 1;
}

int skv_p11_connect(struct skv_p11_kek *k, const struct skv_cipher_kek_ref *ref,
                    int *failed, struct skv_err *err)
{
    int rc;
    snprintf(k->token, sizeof k->token, "%s", ref->token_label);
    if ((rc = module_get(k->owner, ref->module, &k->mod, failed, err)) != SKV_OK)
        return rc;
    k->f = k->mod->f;
    rc = find_token(k, ref->token_label, failed, err);
    if (rc == SKV_ERR_NOTFOUND && rescan(k))
        rc = find_token(k, ref->token_label, failed, err);
    if (rc != SKV_OK)
        return rc;
    return login(k, ref, failed, err);
}

void skv_p11_disconnect(struct skv_p11_kek *k)
{
    if (k->f && k->session_open)
        k->f->C_CloseSession(k->s);   /* the token's last session: logged out */
    if (k->mod)
        module_put(k->owner, k->mod);
    k->session_open = 0;
    k->f = NULL;
    k->mod = NULL;
}
