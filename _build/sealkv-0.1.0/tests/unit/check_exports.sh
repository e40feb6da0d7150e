#!/bin/sh
# check_exports.sh — every built plugin exports exactly one symbol of ours:
# sealkv_plugin_v1 (ELF boilerplate like _init/_fini is ignored).
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
done
if [ "$n" -lt 2 ]; then
    echo "FAIL: expected the built plugins under $top/plugins/*/.libs, found $n"
    exit 1
fi
exit $fail
