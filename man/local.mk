# man/local.mk — sealkvd(8), sealkv(1), sealkv.yaml(5). The pages naming
# installed paths are man/*.in with the configured paths filled in by
# SKV_EDIT (conf/install.mk); tests/integration/test_install.sh renders
# every installed page and fails on any groff warning.
dist_man_MANS = man/sealkv.1
man_MANS = man/sealkvd.8 man/sealkv.yaml.5
EXTRA_DIST += man/sealkvd.8.in man/sealkv.yaml.5.in
CLEANFILES += $(man_MANS)

man/sealkvd.8: man/sealkvd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkvd.8.in > $@.tmp && mv $@.tmp $@
man/sealkv.yaml.5: man/sealkv.yaml.5.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && $(SKV_EDIT) $(srcdir)/man/sealkv.yaml.5.in > $@.tmp && mv $@.tmp $@
