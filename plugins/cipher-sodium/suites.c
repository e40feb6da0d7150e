/* SPDX-License-Identifier: MIT */
/*
 * suites.c — the cipher plugin's suite table (names and sizes, read-only)
 * and the suite_count / suite_get ops. Availability is per instance:
 * AES-256-GCM runs only where libsodium has its AES-NI + PCLMUL code.
 */
#include "cipher_sodium.h"

#include <string.h>

_Static_assert(crypto_aead_aes256gcm_KEYBYTES == SKV_SODIUM_KEY_LEN &&
                   crypto_aead_aes256gcm_NPUBBYTES == SKV_SODIUM_NONCE_LEN &&
                   crypto_aead_aes256gcm_ABYTES == SKV_SODIUM_TAG_LEN,
               "libsodium AES-256-GCM sizes");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == SKV_SODIUM_KEY_LEN &&
                   crypto_aead_chacha20poly1305_ietf_NPUBBYTES == SKV_SODIUM_NONCE_LEN &&
                   crypto_aead_chacha20poly1305_ietf_ABYTES == SKV_SODIUM_TAG_LEN,
               "libsodium ChaCha20-Poly1305-IETF sizes");

static const struct skv_sodium_suite suites[] = {
    {"aes-256-gcm", SKV_SODIUM_AES256GCM, SKV_SODIUM_KEY_LEN,
     SKV_SODIUM_NONCE_LEN, SKV_SODIUM_TAG_LEN,
     crypto_aead_aes256gcm_MESSAGEBYTES_MAX},
    {"chacha20-poly1305", SKV_SODIUM_CHACHA20POLY1305, SKV_SODIUM_KEY_LEN,
     SKV_SODIUM_NONCE_LEN, SKV_SODIUM_TAG_LEN,
     crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX},
};
#define N_SUITES (sizeof suites / sizeof suites[0])

const char *skv_sodium_suite_names(void)
{
    return "aes-256-gcm, chacha20-poly1305";
}

const struct skv_sodium_suite *skv_sodium_suite_find(const char *name)
{
    size_t i;
    if (!name)
        return NULL;
    for (i = 0; i < N_SUITES; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}

int skv_sodium_suite_available(const struct skv_sodium *s,
                               const struct skv_sodium_suite *suite)
{
    if (suite->alg == SKV_SODIUM_AES256GCM)
        return s && s->aes_available;
    return 1;
}

unsigned skv_sodium_suite_count(void *state)
{
    (void)state;
    return (unsigned)N_SUITES;
}

/* Fill what fits in the caller's struct; report back how much we filled
 * (min of the caller's and our struct_size). */
int skv_sodium_suite_get(void *state, unsigned i, struct skv_cipher_suite *out)
{
    struct skv_cipher_suite full;
    size_t n;
    if (!out || out->struct_size < offsetof(struct skv_cipher_suite, name) +
                                       sizeof out->name)
        return SKV_ERR_INVALID;
    if (i >= N_SUITES)
        return SKV_ERR_NOTFOUND;
    memset(&full, 0, sizeof full);
    full.name = suites[i].name;
    full.key_len = suites[i].key_len;
    full.nonce_len = suites[i].nonce_len;
    full.tag_len = suites[i].tag_len;
    full.available = skv_sodium_suite_available(state, &suites[i]);
    n = out->struct_size < sizeof full ? out->struct_size : sizeof full;
    full.struct_size = (uint32_t)n;
    memcpy(out, &full, n);
    return SKV_OK;
}
