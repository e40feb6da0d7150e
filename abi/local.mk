# SPDX-License-Identifier: MIT
# abi/local.mk — installed public headers and the plugin authors' .pc file.
sealkvinclude_HEADERS += abi/sealkv/plugin.h abi/sealkv/storage.h \
	abi/sealkv/transport.h abi/sealkv/cipher.h abi/sealkv/admin.h
pkgconfig_DATA += abi/sealkv-plugin.pc
EXTRA_DIST += abi/sealkv-plugin.pc.in
