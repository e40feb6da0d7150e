# SPDX-License-Identifier: MIT
# core/util/local.mk — leaf helpers: logging, CRC-32C, the log rate limiter,
# byte order, the storage key-space map (keys.h), the growable buffer, the error
# catalogue (errors.def → errors.h), the intrusive list, the mkdir -p walk,
# host:port parsing, base64 into a buffer.
core_libsealkv_core_la_SOURCES += \
	core/util/bytes.h core/util/crc32.c core/util/crc32.h \
	core/util/ratelimit.c core/util/ratelimit.h core/util/log.c \
	core/util/log.h core/util/keys.h core/util/buf.c core/util/buf.h \
	core/util/errors.c core/util/errors.h core/util/errors.def core/util/list.h \
	core/util/path.c core/util/path.h core/util/hostport.c core/util/hostport.h \
	core/util/b64.c core/util/b64.h core/util/fpset.c core/util/fpset.h
