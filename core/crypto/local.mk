# SPDX-License-Identifier: MIT
# core/crypto/local.mk — envelope (format v1/v2, AAD), deterministic nonces,
# keystore (KEK loaders, DEK table, wrap/unwrap, v2 subkeys), the encryption
# error type.
core_libsealkv_core_la_SOURCES += \
	core/crypto/envelope.c core/crypto/envelope.h core/crypto/nonce.c \
	core/crypto/nonce.h core/crypto/keystore.c core/crypto/keystore.h \
	core/crypto/keystore_impl.h core/crypto/keystore_sub.c \
	core/crypto/dek_wrap.c core/crypto/kek.c core/crypto/kek.h core/crypto/kek_ring.c \
	core/crypto/kek_provider.c \
	core/crypto/purpose.h core/crypto/enc_err.c core/crypto/enc_err.h \
	core/crypto/names.c core/crypto/names.h
