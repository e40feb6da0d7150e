# SPDX-License-Identifier: MIT
# core/config/local.mk — the YAML config loader (config.c is the public
# entry point; conf_* are its tree, value, schema and plugin-section
# internals).
core_libsealkv_core_la_SOURCES += \
	core/config/config.c core/config/config.h core/config/conf_plugins.c \
	core/config/conf_schema.c core/config/conf_schema.h core/config/conf_pkcs11.c \
	core/config/conf_tree.c core/config/conf_tree.h \
	core/config/conf_value.c core/config/conf_value.h
