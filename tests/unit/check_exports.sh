#!/bin/sh
# SPDX-License-Identifier: MIT
# check_exports.sh — every built plugin exports exactly one symbol of ours,
# sealkv_plugin_v1 (ELF boilerplate like _init/_fini is ignored), and
# needs no core symbol (plugins compile against abi/ only: an undefined
# skv_* would mean a dependency on core internals); libsealkv-core is a
# private convenience library: never built as a shared object, and the
# programs do not link one.
top="${SKV_TOP_BUILDDIR:-.}"
fail=0; n=0
for so in "$top"/plugins/*/.libs/*.so; do
    [ -e "$so" ] || continue
    n=$((n + 1))
    syms=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$')
    if [ "$syms" != "sealkv_plugin_v1" ]; then
        echo "FAIL: $so exports: $(echo $syms)"
        fail=1
    else
        echo "ok: $so exports only sealkv_plugin_v1"
    fi
    core=$(nm -D --undefined-only "$so" | awk '{print $2}' | grep '^skv_')
    if [ -n "$core" ]; then
        echo "FAIL: $so needs core symbols: $(echo $core)"
        fail=1
    else
        echo "ok: $so needs no core symbol"
    fi
done
if [ "$n" -lt 2 ]; then
    echo "FAIL: expected the built plugins under $top/plugins/*/.libs, found $n"
    exit 1
fi
for f in "$top"/core/.libs/libsealkv-core.so*; do
    [ -e "$f" ] || continue
    echo "FAIL: $f: libsealkv-core must be a convenience library, not a shared one"
    fail=1
done
for prog in sealkvd sealkv; do
    # a libtool wrapper script when a shared library is involved
    bin="$top/core/$prog"
    readelf -h "$bin" >/dev/null 2>&1 || bin="$top/core/.libs/$prog"
    if readelf -d "$bin" | grep NEEDED | grep -q libsealkv; then
        echo "FAIL: $prog links a shared libsealkv-core: $(readelf -d "$bin" | grep libsealkv)"
        fail=1
    else
        echo "ok: $prog has libsealkv-core linked in (no shared library)"
    fi
done
exit $fail
