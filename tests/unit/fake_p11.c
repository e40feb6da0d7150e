/* SPDX-License-Identifier: MIT */
/*
 * fake_p11.c — TEST-ONLY PKCS#11 module (fakep11.so) for the one refusal
 * SoftHSM 2 cannot produce: a token without CKM_AES_GCM / CKM_AES_ECB
 * (ErrPKCS11MechanismUnsupported). One slot whose token is labelled
 * "fake-token", any PIN accepted, no mechanism at all; every other entry
 * point is NULL (the provider never reaches them on this path).
 */
#include <p11-kit/pkcs11.h>
#include <string.h>

static CK_RV fake_initialize(void *args)
{
    (void)args;
    return CKR_OK;
}

static CK_RV fake_finalize(void *reserved)
{
    (void)reserved;
    return CKR_OK;
}

static CK_RV fake_slot_list(CK_BBOOL present, CK_SLOT_ID *list, CK_ULONG *count)
{
    (void)present;
    if (list && *count >= 1)
        list[0] = 7;
    *count = 1;
    return CKR_OK;
}

static CK_RV fake_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
    (void)slot;
    memset(info, 0, sizeof *info);
    memset(info->label, ' ', sizeof info->label);
    memcpy(info->label, "fake-token", 10);
    return CKR_OK;
}

static CK_RV fake_open(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify,
                       CK_SESSION_HANDLE *s)
{
    (void)slot, (void)flags, (void)app, (void)notify;
    *s = 1;
    return CKR_OK;
}

static CK_RV fake_close(CK_SESSION_HANDLE s)
{
    (void)s;
    return CKR_OK;
}

static CK_RV fake_login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR *pin, CK_ULONG len)
{
    (void)s, (void)u, (void)pin, (void)len;
    return CKR_OK;
}

static CK_RV fake_mech_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *info)
{
    (void)slot, (void)m, (void)info;
    return CKR_MECHANISM_INVALID;
}

static CK_FUNCTION_LIST fake_list = {
    .version = {2, 40},
    .C_Initialize = fake_initialize,
    .C_Finalize = fake_finalize,
    .C_GetSlotList = fake_slot_list,
    .C_GetTokenInfo = fake_token_info,
    .C_GetMechanismInfo = fake_mech_info,
    .C_OpenSession = fake_open,
    .C_CloseSession = fake_close,
    .C_Login = fake_login,
};

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    *out = &fake_list;
    return CKR_OK;
}
