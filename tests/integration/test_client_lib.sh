#!/bin/sh
# SPDX-License-Identifier: MIT
# test_client_lib.sh — libsealkv-client against a real 3-node cluster
# whose admin API is HTTPS with client certificates and a bearer token
# (lib.sh SKV_ADMIN_TLS=1): runs tests/client/test_client_lib (linked
# against the shared library, <sealkv/client.h> only) with the cluster's
# CA, the client certificate, the token file, a dead first endpoint (a
# reserved free port nobody listens on) and the three nodes. Its checks
# are listed in tests/client/test_client_lib.c.
SKV_TEST=client_lib
SKV_ADMIN_TLS=1
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

PROG="$B/tests/client/test_client_lib"
[ -x "$PROG" ] || { echo "missing $PROG (make check builds it)"; exit 99; }
skv_up3
PKI=$(skv_pki)
dead=$("$FREEPORT" -o $$ 1) || { echo "freeport failed"; exit 99; }
SKV_CHECKS=$((SKV_CHECKS + 1))
if "$PROG" "$PKI/ca.crt" "$PKI/client-test.crt" "$PKI/client-test.key" "$PKI/token" \
        "https://127.0.0.1:$dead" "$(skv_endpoint 1)" "$(skv_endpoint 2)" "$(skv_endpoint 3)" \
        >"$SKV_DIR/prog.out" 2>&1; then
    skv_log "ok: test_client_lib: $(tail -1 "$SKV_DIR/prog.out")"
else
    skv_fail "test_client_lib (exit $?)"
fi
sed 's/^/    /' "$SKV_DIR/prog.out"
# the token never appears in what the program printed
if grep -q -F "$(cat "$PKI/token")" "$SKV_DIR/prog.out"; then
    skv_fail "the token appears in the program's output"
fi
skv_finish
