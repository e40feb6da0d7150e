# core/local.mk — libsealkv-core (shared), sealkvd, sealkv CLI.
lib_LTLIBRARIES += core/libsealkv-core.la
core_libsealkv_core_la_SOURCES = \
	core/log.c core/log.h \
	core/config.c core/config.h \
	core/loader.c core/loader.h \
	core/host_api.c core/host_api.h \
	core/plugin_set.c core/plugin_set.h
core_libsealkv_core_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SODIUM_CFLAGS)
core_libsealkv_core_la_LIBADD = $(YAML_LIBS) $(SODIUM_LIBS) $(LIBS)
core_libsealkv_core_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-export-symbols-regex '^skv_'

bin_PROGRAMS += core/sealkvd
core_sealkvd_SOURCES = core/sealkvd.c
core_sealkvd_CFLAGS = $(AM_CFLAGS)
core_sealkvd_LDADD = core/libsealkv-core.la
