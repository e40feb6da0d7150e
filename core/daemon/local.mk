# SPDX-License-Identifier: MIT
# core/daemon/local.mk — sealkvd: argument parsing, config, preflight,
# node run (the program is built as core/sealkvd).
bin_PROGRAMS += core/sealkvd
core_sealkvd_SOURCES = core/daemon/sealkvd.c
core_sealkvd_CFLAGS = $(AM_CFLAGS)
core_sealkvd_LDADD = core/libsealkv-core.la
