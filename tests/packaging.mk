# SPDX-License-Identifier: MIT
# tests/packaging.mk — packaging checks run by `make check`:
#   tests/integration/test_install.sh  `make install DESTDIR=...` layout,
#       plugin exports, man pages, systemd unit, installed sealkvd;
#   tests/abi/check_abi.sh  the plugin ABI (abi/sealkv/*.h as DWARF of
#       tests/abi/abi_surface.so) against tests/abi/baseline.abi (abidiff).
# See docs/ABI.md for the policy the ABI check enforces.

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
	SKV_INST_SYSUSERSDIR='$(SKV_INST_SYSUSERS_)'; SKV_INST_DOCDIR='$(docdir)'; \
	SKV_RELEASE_DATE='$(RELEASE_DATE)'; \
	SKV_SAN_CFLAGS='$(SKV_SAN_CFLAGS)'; SKV_SAN_LDFLAGS='$(SKV_SAN_LDFLAGS)'; \
	export SKV_SAN_CFLAGS SKV_SAN_LDFLAGS; \
	export SKV_INST_BINDIR SKV_INST_LIBDIR SKV_INST_PLUGINSDIR SKV_INST_INCLUDEDIR \
	SKV_INST_PKGCONFIGDIR SKV_INST_CONFDIR SKV_INST_MANDIR SKV_INST_UNITDIR \
	SKV_INST_SYSUSERSDIR SKV_INST_DOCDIR SKV_RELEASE_DATE;

TESTS += tests/integration/test_install.sh
EXTRA_DIST += tests/integration/test_install.sh

# The ABI surface: compiled here with fixed flags (-g -O0, no user CFLAGS,
# no sanitizers) so its DWARF depends only on the headers.
SKV_ABI_SURFACE_CFLAGS = -std=gnu11 -g -O0 -fPIC -shared \
	-fno-eliminate-unused-debug-types -Wall -Wextra -Werror
tests/abi/abi_surface.so: tests/abi/abi_surface.c $(sealkvinclude_HEADERS)
	$(AM_V_CC)$(MKDIR_P) tests/abi && \
	$(CC) $(SKV_ABI_SURFACE_CFLAGS) -I$(top_srcdir)/abi \
		-o $@ $(srcdir)/tests/abi/abi_surface.c
CLEANFILES += tests/abi/abi_surface.so
TESTS += tests/abi/check_abi.sh
# (listed in check_SCRIPTS only so that make check builds it first)
check_SCRIPTS += tests/abi/abi_surface.so
EXTRA_DIST += tests/abi/check_abi.sh tests/abi/abi_surface.c tests/abi/baseline.abi \
	docs/ABI.md

# Rewrite the committed baseline (after a reviewed ABI change; docs/ABI.md).
abi-baseline: tests/abi/abi_surface.so
	abidw --no-corpus-path --no-comp-dir-path --short-locs --no-architecture \
		--out-file $(srcdir)/tests/abi/baseline.abi tests/abi/abi_surface.so
	@echo "wrote $(srcdir)/tests/abi/baseline.abi"
.PHONY: abi-baseline

# Every tracked file ships: in a git checkout, `make dist` (and so
# `make distcheck`) fails naming any file git tracks that the tarball lacks
# (add it to EXTRA_DIST of the .mk that owns it). Outside git: skipped.
dist-hook: skv-dist-complete
skv-dist-complete:
	@if test -e "$(top_srcdir)/.git" && command -v git >/dev/null 2>&1; then \
	  missing=$$(cd "$(top_srcdir)" && git ls-files | grep -v -x -e .gitignore | \
	    while IFS= read -r f; do test -e "$(abs_builddir)/$(distdir)/$$f" || echo "$$f"; done); \
	  if test -n "$$missing"; then \
	    echo "dist: tracked files missing from the tarball (add them to EXTRA_DIST):"; \
	    echo "$$missing" | sed 's/^/  /'; exit 1; \
	  fi; \
	  echo "dist: every tracked file is in the tarball"; \
	fi
.PHONY: skv-dist-complete
