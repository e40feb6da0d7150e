/* SPDX-License-Identifier: MIT */
/*
 * skv_p11_keygen.c — test helper: generates an AES-256 key inside a
 * PKCS#11 token (C_GenerateKey, CKA_EXTRACTABLE false, CKA_SENSITIVE
 * true), so a test's KEK never exists outside the token. Also lists the
 * module's mechanisms with --mechanisms.
 *
 *   skv_p11_keygen MODULE TOKEN_LABEL PIN_FILE KEY_LABEL [--extractable]
 *   skv_p11_keygen --mechanisms MODULE TOKEN_LABEL
 *   skv_p11_keygen --refuses-value MODULE TOKEN_LABEL PIN_FILE KEY_LABEL
 * --extractable makes a key sealkv must refuse (tests of that refusal);
 * --refuses-value exits 0 only when the token refuses to hand out the
 * key's CKA_VALUE to a logged-in user (no process can learn its bytes).
 * Exit 0 on success, 1 with one message on stderr otherwise.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR load(const char *module, void **dl)
{
    CK_C_GetFunctionList get;
    CK_FUNCTION_LIST_PTR f = NULL;
    if (!(*dl = dlopen(module, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "skv_p11_keygen: %s\n", dlerror());
        return NULL;
    }
    *(void **)&get = dlsym(*dl, "C_GetFunctionList");
    if (!get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
        fprintf(stderr, "skv_p11_keygen: %s: not a usable PKCS#11 module\n", module);
        return NULL;
    }
    return f;
}

/* The slot whose token label (space padded to 32) is `label`. */
static int find_slot(CK_FUNCTION_LIST_PTR f, const char *label, CK_SLOT_ID *out)
{
    CK_SLOT_ID slots[64];
    CK_ULONG i, n = 64;
    char want[32];
    size_t l = strlen(label);
    if (l > 32 || f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
        return -1;
    memset(want, ' ', sizeof want);
    memcpy(want, label, l);
    for (i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
            memcmp(ti.label, want, sizeof want) == 0) {
            *out = slots[i];
            return 0;
        }
    }
    fprintf(stderr, "skv_p11_keygen: no token labelled '%s'\n", label);
    return -1;
}

static int read_pin(const char *path, char *pin, size_t cap)
{
    FILE *fp = fopen(path, "r");
    size_t n;
    if (!fp)
        return -1;
    n = fread(pin, 1, cap - 1, fp);
    fclose(fp);
    while (n && (pin[n - 1] == '\n' || pin[n - 1] == '\r'))
        n--;
    pin[n] = '\0';
    return 0;
}

static int mechanisms(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot)
{
    CK_MECHANISM_TYPE m[512];
    CK_ULONG i, n = 512;
    if (f->C_GetMechanismList(slot, m, &n) != CKR_OK)
        return 1;
    for (i = 0; i < n; i++)
        printf("0x%08lx\n", (unsigned long)m[i]);
    return 0;
}

static int generate(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const char *pin_file,
                    const char *key_label, int extractable)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE k;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG len = 32;
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_ATTRIBUTE t[] = {
        {CKA_TOKEN, &yes, sizeof yes},       {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, extractable ? &no : &yes, sizeof yes},
        {CKA_EXTRACTABLE, extractable ? &yes : &no, sizeof no},
        {CKA_ENCRYPT, &yes, sizeof yes},     {CKA_DECRYPT, &yes, sizeof yes},
        {CKA_VALUE_LEN, &len, sizeof len},
        {CKA_LABEL, (void *)key_label, strlen(key_label)},
    };
    char pin[256];
    CK_RV rv;
    if (read_pin(pin_file, pin, sizeof pin) != 0) {
        fprintf(stderr, "skv_p11_keygen: cannot read %s\n", pin_file);
        return 1;
    }
    if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                               &s)) != CKR_OK ||
        (rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin))) != CKR_OK ||
        (rv = f->C_GenerateKey(s, &mech, t, sizeof t / sizeof t[0], &k)) != CKR_OK) {
        fprintf(stderr, "skv_p11_keygen: key generation failed: CKR 0x%lx\n",
                (unsigned long)rv);
        return 1;
    }
    f->C_Logout(s);
    f->C_CloseSession(s);
    return 0;
}

/* 0 when CKA_VALUE of the key labelled `key_label` cannot be read. */
static int refuses_value(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const char *pin_file,
                         const char *key_label)
{
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE k;
    CK_ULONG n = 0;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls},
                        {CKA_LABEL, (void *)key_label, strlen(key_label)}};
    unsigned char value[64];
    CK_ATTRIBUTE v = {CKA_VALUE, value, sizeof value};
    char pin[256];
    CK_RV rv;
    if (read_pin(pin_file, pin, sizeof pin) != 0 ||
        f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
        f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK ||
        f->C_FindObjectsInit(s, t, 2) != CKR_OK || f->C_FindObjects(s, &k, 1, &n) != CKR_OK ||
        f->C_FindObjectsFinal(s) != CKR_OK || n != 1) {
        fprintf(stderr, "skv_p11_keygen: key '%s' not found\n", key_label);
        return 1;
    }
    rv = f->C_GetAttributeValue(s, k, &v, 1);
    memset(value, 0, sizeof value);
    if (rv == CKR_OK && v.ulValueLen != (CK_ULONG)-1) {
        fprintf(stderr, "skv_p11_keygen: the token handed out the key's value\n");
        return 1;
    }
    printf("CKA_VALUE refused: CKR 0x%lx\n", (unsigned long)rv);
    return 0;
}

int main(int argc, char **argv)
{
    CK_FUNCTION_LIST_PTR f;
    CK_SLOT_ID slot;
    void *dl = NULL;
    int list = argc == 4 && strcmp(argv[1], "--mechanisms") == 0, rc;
    if (argc == 6 && strcmp(argv[1], "--refuses-value") == 0) {
        if (!(f = load(argv[2], &dl)) || find_slot(f, argv[3], &slot) != 0)
            return 1;
        rc = refuses_value(f, slot, argv[4], argv[5]);
        f->C_Finalize(NULL);
        return rc;
    }
    int extractable = argc == 6 && strcmp(argv[5], "--extractable") == 0;
    if (!list && argc != 5 && !extractable) {
        fprintf(stderr, "usage: skv_p11_keygen MODULE TOKEN_LABEL PIN_FILE KEY_LABEL "
                        "[--extractable]\n"
                        "       skv_p11_keygen --mechanisms MODULE TOKEN_LABEL\n");
        return 1;
    }
    if (!(f = load(argv[1 + list], &dl)) || find_slot(f, argv[2 + list], &slot) != 0)
        return 1;
    rc = list ? mechanisms(f, slot) : generate(f, slot, argv[3], argv[4], extractable);
    f->C_Finalize(NULL);
    return rc;
}
