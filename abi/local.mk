# SPDX-License-Identifier: MIT
# abi/local.mk — installed public headers and the plugin authors' .pc file.
sealkvinclude_HEADERS += abi/sealkv/plugin.h abi/sealkv/storage.h \
	abi/sealkv/transport.h abi/sealkv/cipher.h abi/sealkv/admin.h
pkgconfig_DATA += abi/sealkv-plugin.pc
EXTRA_DIST += abi/sealkv-plugin.pc.in

# sealkv-plugin-check(1): the plugin conformance checker shipped with the
# SDK, built against the public headers only (abi/, never core/); its
# tests are tests/conformance.mk. abi/host/host_table.h (not installed) is
# the struct skv_host filling it shares with core/plugin/host_api.c.
bin_PROGRAMS += abi/check/sealkv-plugin-check
abi_check_sealkv_plugin_check_SOURCES = abi/check/plugin_check.c abi/check/check.h \
	abi/check/check_host.c abi/check/check_load.c abi/check/check_exports.c \
	abi/check/check_cipher.c abi/check/check_cipher.h abi/check/check_cipher_aead.c \
	abi/check/check_cipher_kat.c abi/check/check_cipher_kek.c abi/check/check_storage.c abi/check/check_net.c \
	abi/host/host_table.h
abi_check_sealkv_plugin_check_CPPFLAGS = $(PLUGIN_CPPFLAGS)
