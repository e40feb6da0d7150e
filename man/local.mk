# SPDX-License-Identifier: MIT
# man/local.mk — sealkvd(8), sealkv(1), sealkv.yaml(5), sealkv-plugin-check(1),
# sealkv-client(3) (libsealkv-client, client/): man/*.in with the
# configured paths, the version and the release date (configure.ac's
# RELEASE_DATE) filled in by SKV_EDIT (conf/install.mk);
# tests/integration/test_install.sh renders every installed page, fails
# on any groff warning and on a .TH line without a date.
man_MANS = man/sealkvd.8 man/sealkv.yaml.5 man/sealkv.1 man/sealkv-plugin-check.1 \
	man/sealkv-client.3
EXTRA_DIST += man/sealkvd.8.in man/sealkv.yaml.5.in man/sealkv.1.in \
	man/sealkv-plugin-check.1.in man/sealkv-client.3.in
CLEANFILES += $(man_MANS)

man/sealkvd.8: man/sealkvd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkvd.8.in > $@.tmp && mv $@.tmp $@
man/sealkv.yaml.5: man/sealkv.yaml.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkv.yaml.5.in > $@.tmp && mv $@.tmp $@
man/sealkv.1: man/sealkv.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkv.1.in > $@.tmp && mv $@.tmp $@
man/sealkv-plugin-check.1: man/sealkv-plugin-check.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkv-plugin-check.1.in > $@.tmp && mv $@.tmp $@
man/sealkv-client.3: man/sealkv-client.3.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkv-client.3.in > $@.tmp && mv $@.tmp $@
