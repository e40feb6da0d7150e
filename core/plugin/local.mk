# SPDX-License-Identifier: MIT
# core/plugin/local.mk — plugin loader, the host API handed to plugins, the
# loaded set.
core_libsealkv_core_la_SOURCES += \
	core/plugin/loader.c core/plugin/loader.h core/plugin/host_api.c \
	core/plugin/host_api.h core/plugin/plugin_set.c \
	core/plugin/plugin_set.h
