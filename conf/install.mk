# SPDX-License-Identifier: MIT
# conf/install.mk — what `make install` puts beside the programs: the
# licence and README in $(docdir), no .la for the plugins, the
# reference config as $(sysconfdir)/sealkv/sealkv.yaml.example, the
# systemd template unit sealkvd@.service (configure
# --with-systemdsystemunitdir) and its sysusers.d entry sealkv.conf
# (--with-sysusersdir). Files ending in .in get the configured paths at
# make time (SKV_EDIT; man/local.mk uses it too), so they follow
# `make prefix=...` as well as configure.

SKV_EDIT = $(SED) \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pluginsdir[@]|$(pluginsdir)|g' \
	-e 's|@systemdsystemunitdir[@]|$(systemdsystemunitdir)|g' \
	-e 's|@sysusersdir[@]|$(sysusersdir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	-e 's|@RELEASE_DATE[@]|$(RELEASE_DATE)|g' \
	-e 's|@PACKAGE_BUGREPORT[@]|$(PACKAGE_BUGREPORT)|g' \
	-e 's|@PACKAGE_URL[@]|$(PACKAGE_URL)|g'

# The licence and the README in $(docdir) (/usr/share/doc/sealkv).
dist_doc_DATA = LICENSE README.md

# Plugins are dlopen()ed by file name, never linked against: their
# libtool archives (.la) are useless once installed and Debian ships none.
# The .so stays; uninstall removes it (libtool cannot without the .la).
install-data-hook: skv-install-no-la
skv-install-no-la:
	@for p in $(plugins_LTLIBRARIES); do \
	  f="$(DESTDIR)$(pluginsdir)/$${p##*/}"; \
	  if test -f "$$f"; then echo " rm -f $$f"; rm -f "$$f" || exit 1; fi; \
	done
uninstall-hook: skv-uninstall-plugins skv-uninstall-client
skv-uninstall-plugins:
	@for p in $(plugins_LTLIBRARIES); do \
	  b=$${p##*/}; f="$(DESTDIR)$(pluginsdir)/$${b%.la}.so"; \
	  if test -f "$$f"; then echo " rm -f $$f"; rm -f "$$f" || exit 1; fi; \
	done
.PHONY: skv-install-no-la skv-uninstall-plugins

# The reference config, renamed so an install never shadows a real one.
sealkvconfdir = $(sysconfdir)/sealkv
sealkvconf_DATA = conf/sealkv.yaml.example
conf/sealkv.yaml.example: conf/sealkv.yaml
	$(AM_V_GEN)$(MKDIR_P) conf && cp $(srcdir)/conf/sealkv.yaml $@
CLEANFILES += conf/sealkv.yaml.example

if SKV_SYSTEMD_UNIT
systemdsystemunit_DATA = conf/systemd/sealkvd@.service
endif
conf/systemd/sealkvd@.service: conf/systemd/sealkvd@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf/systemd && $(SKV_EDIT) $(srcdir)/conf/systemd/sealkvd@.service.in > $@.tmp && mv $@.tmp $@
CLEANFILES += conf/systemd/sealkvd@.service
EXTRA_DIST += conf/systemd/sealkvd@.service.in

if SKV_SYSUSERS
sysusers_DATA = conf/systemd/sealkv.conf
endif
conf/systemd/sealkv.conf: conf/systemd/sealkv.sysusers
	$(AM_V_GEN)$(MKDIR_P) conf/systemd && cp $(srcdir)/conf/systemd/sealkv.sysusers $@
CLEANFILES += conf/systemd/sealkv.conf
EXTRA_DIST += conf/systemd/sealkv.sysusers
