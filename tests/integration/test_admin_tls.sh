#!/bin/sh
# SPDX-License-Identifier: MIT
# sealkv CLI over HTTPS: one sealkvd whose admin API has TLS (its node
# certificate), a client CA and a bearer token (lib.sh SKV_ADMIN_TLS=1).
# The CLI works with --cacert + --token-file, with a client certificate,
# and with the SEALKV_* environment (flags win); a wrong or missing
# credential exits 1 with "unauthorized"; a node certificate is no admin
# credential; no --cacert, plain http:// and a 0644 token file fail;
# /v1/health needs nothing; SIGHUP swaps the token; the token never
# appears in the log.
SKV_TEST=admin_tls
SKV_ADMIN_TLS=1
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 1
PKI=$(skv_pki)
EP=$(skv_endpoint 1)
# Every check names its credentials itself: none from lib.sh's exports.
unset SEALKV_CACERT SEALKV_CERT SEALKV_KEY SEALKV_TOKEN_FILE
T=$SKV_DIR/cli
mkdir -p "$T" || exit 99
(umask 077 && echo wrong-token >"$T/wrong") || exit 99

# rc_is WANT args...: run the CLI against node 1, keep its output.
rc_is() {
    want=$1; shift
    "$SEALKV" --endpoint "$EP" --retry 0 "$@" >"$T/out" 2>"$T/err" </dev/null
    got=$?
    [ "$got" -eq "$want" ] || { skv_log "exit $got, wanted $want: sealkv $*"; cat "$T/err"; return 1; }
}
err_has() { grep -q -- "$1" "$T/err"; }
unauthorized() { rc_is 1 "$@" && err_has "unauthorized: pass --token-file or a client certificate"; }
status_ok() { rc_is 0 "$@" status && grep -q "leader" "$T/out"; }

skv_start 1
skv_wait 20 "node 1 leads over HTTPS" status_ok --cacert "$PKI/ca.crt" --token-file "$PKI/token"

skv_assert "--cacert + --token-file: status" status_ok --cacert "$PKI/ca.crt" --token-file "$PKI/token"
skv_assert "--cacert + client certificate: status" \
    status_ok --cacert "$PKI/ca.crt" --cert "$PKI/client-test.crt" --key "$PKI/client-test.key"
skv_assert "put and get with the token" eval \
    'rc_is 0 --cacert "$PKI/ca.crt" --token-file "$PKI/token" put k1 v1 &&
     rc_is 0 --cacert "$PKI/ca.crt" --token-file "$PKI/token" get k1 && [ "$(cat "$T/out")" = v1 ]'
skv_assert "environment: SEALKV_CACERT + SEALKV_TOKEN_FILE" \
    env SEALKV_CACERT="$PKI/ca.crt" SEALKV_TOKEN_FILE="$PKI/token" sh -c \
    '"$0" --endpoint "$1" --retry 0 status >/dev/null' "$SEALKV" "$EP"
skv_assert "environment: SEALKV_CERT + SEALKV_KEY" \
    env SEALKV_CACERT="$PKI/ca.crt" SEALKV_CERT="$PKI/client-test.crt" SEALKV_KEY="$PKI/client-test.key" \
    sh -c '"$0" --endpoint "$1" --retry 0 status >/dev/null' "$SEALKV" "$EP"
skv_assert "the --token-file flag wins over SEALKV_TOKEN_FILE" \
    env SEALKV_CACERT="$PKI/ca.crt" SEALKV_TOKEN_FILE="$T/wrong" sh -c \
    '"$0" --endpoint "$1" --retry 0 --token-file "$2" status >/dev/null' "$SEALKV" "$EP" "$PKI/token"
skv_assert "wrong token: exit 1, unauthorized" unauthorized --cacert "$PKI/ca.crt" --token-file "$T/wrong" status
skv_assert "wrong token from the environment: exit 1" \
    env SEALKV_CACERT="$PKI/ca.crt" SEALKV_TOKEN_FILE="$T/wrong" sh -c \
    '"$0" --endpoint "$1" --retry 0 status 2>&1 | grep -q unauthorized' "$SEALKV" "$EP"
skv_assert "no credentials: exit 1, unauthorized" unauthorized --cacert "$PKI/ca.crt" status
skv_assert "a node certificate is no admin credential" \
    unauthorized --cacert "$PKI/ca.crt" --cert "$PKI/node-1.crt" --key "$PKI/node-1.key" status
skv_assert "no --cacert: the server is not verified, exit 5 (nothing sent)" eval \
    'rc_is 5 --token-file "$PKI/token" status && ! err_has unauthorized'
skv_assert "plain http:// to the HTTPS port fails (exit 6: no HTTP answer after sending)" eval \
    '"$SEALKV" --endpoint "http://127.0.0.1:$(skv_aport 1)" --retry 0 --token-file "$PKI/token" status >/dev/null 2>&1; [ $? -eq 6 ]'
cp "$PKI/token" "$T/open" && chmod 0644 "$T/open"
skv_assert "a 0644 token file is refused before sending" eval \
    'rc_is 1 --cacert "$PKI/ca.crt" --token-file "$T/open" status && err_has "mode 0600"'
skv_assert "--key without --cert is refused" eval \
    'rc_is 1 --cacert "$PKI/ca.crt" --key "$PKI/client-test.key" status && err_has "needs --cert"'
skv_assert "/v1/health answers without credentials" eval \
    '[ "$(curl -q -s --cacert "$PKI/ca.crt" "$EP/v1/health")" = "{\"status\":\"ok\"}" ]'
skv_assert "/metrics needs credentials" eval \
    '[ "$(curl -q -s -o /dev/null -w "%{http_code}" --cacert "$PKI/ca.crt" "$EP/metrics")" = 401 ]'

# SIGHUP: a new token replaces the old one; the old one is refused.
cp "$PKI/token" "$T/old" || exit 99
(umask 077 && echo "rotated-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$PKI/token.new") &&
    mv "$PKI/token.new" "$PKI/token" || exit 99
kill -HUP "$(skv_pid 1)"
new_token_works() { rc_is 0 --cacert "$PKI/ca.crt" --token-file "$PKI/token" status; }
skv_wait 10 "the new token after SIGHUP" new_token_works
skv_assert "SIGHUP: the new token works" new_token_works
skv_assert "SIGHUP: the old token is refused" unauthorized --cacert "$PKI/ca.crt" --token-file "$T/old" status

skv_assert "no token in the node's log" eval \
    '! grep -q -F -f "$T/old" "$SKV_DIR/n1.log" && ! grep -q -F -f "$PKI/token" "$SKV_DIR/n1.log"'
skv_assert "the log says how the admin API is protected" \
    grep -q "admin API: HTTPS, client certificate or bearer token" "$SKV_DIR/n1.log"
skv_finish
