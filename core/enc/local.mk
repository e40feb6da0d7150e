# SPDX-License-Identifier: MIT
# core/enc/local.mk — the node's encryption state (enc.h): start-up load,
# the sidecar (keys.json), wrap-on-propose.
core_libsealkv_core_la_SOURCES += \
	core/enc/enc.h core/enc/enc_boot.c core/enc/enc_wrap.c \
	core/enc/sidecar.c core/enc/sidecar.h core/enc/sidecar_file.c \
	core/enc/sidecar_json.c core/enc/enc_names.c
