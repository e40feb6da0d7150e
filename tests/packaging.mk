# tests/packaging.mk — packaging checks run by `make check`:
#   tests/integration/test_install.sh  `make install DESTDIR=...` layout,
#       plugin exports, man pages, systemd unit, installed sealkvd.

# The configured install directories, for test_install.sh (unit and
# sysusers entry: "no" when configure was told not to install them).
if SKV_SYSTEMD_UNIT
SKV_INST_UNIT_ = $(systemdsystemunitdir)
else
SKV_INST_UNIT_ = no
endif
if SKV_SYSUSERS
SKV_INST_SYSUSERS_ = $(sysusersdir)
else
SKV_INST_SYSUSERS_ = no
endif
AM_TESTS_ENVIRONMENT += \
	SKV_INST_BINDIR='$(bindir)'; SKV_INST_LIBDIR='$(libdir)'; \
	SKV_INST_PLUGINSDIR='$(pluginsdir)'; SKV_INST_INCLUDEDIR='$(sealkvincludedir)'; \
	SKV_INST_PKGCONFIGDIR='$(pkgconfigdir)'; SKV_INST_CONFDIR='$(sealkvconfdir)'; \
	SKV_INST_MANDIR='$(mandir)'; SKV_INST_UNITDIR='$(SKV_INST_UNIT_)'; \
	SKV_INST_SYSUSERSDIR='$(SKV_INST_SYSUSERS_)'; \
	export SKV_INST_BINDIR SKV_INST_LIBDIR SKV_INST_PLUGINSDIR SKV_INST_INCLUDEDIR \
	SKV_INST_PKGCONFIGDIR SKV_INST_CONFDIR SKV_INST_MANDIR SKV_INST_UNITDIR \
	SKV_INST_SYSUSERSDIR;

TESTS += tests/integration/test_install.sh
EXTRA_DIST += tests/integration/test_install.sh
