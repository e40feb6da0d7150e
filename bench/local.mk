# SPDX-License-Identifier: MIT
# bench/local.mk — the benchmark of issue #7 (docs/PERFORMANCE.md). Not
# part of `make check`: `make bench` builds the cipher micro-benchmark and
# the free-port helper, then runs bench/run (BENCH_ARGS=--quick for the
# two-minute version) against this build tree.
EXTRA_PROGRAMS = bench/cipher_bench
bench_cipher_bench_SOURCES = bench/cipher_bench.c
bench_cipher_bench_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
bench_cipher_bench_LDADD = core/libsealkv-core.la $(SODIUM_LIBS)
CLEANFILES += bench/cipher_bench$(EXEEXT)
EXTRA_DIST += docs/PERFORMANCE.md bench/run bench/report bench/lib.sh bench/put.lua bench/get.lua \
	bench/wrk_common.lua \
	bench/etcd/cluster.sh bench/etcd/put.lua bench/etcd/get.lua

BENCH_ARGS =
bench: all bench/cipher_bench$(EXEEXT) tests/integration/freeport$(EXEEXT)
	SKV_BENCH_BUILD='$(abs_top_builddir)' $(SHELL) $(srcdir)/bench/run $(BENCH_ARGS)
.PHONY: bench
