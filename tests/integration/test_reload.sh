#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGHUP reloads credentials (real processes, 3 nodes over mutual TLS):
# one logfmt line per plugin (transport, admin) with the outcome, counted
# in /metrics by plugin and outcome; a reload that fails (a garbage
# certificate) keeps the old credentials and never stops the node, and
# the cluster keeps accepting writes. /v1/status reports what the
# transport guarantees; a plaintext transport is warned about at start.
SKV_TEST=reload
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader || exit 1

metric() { # node plugin outcome -> value
    curl -s "$(skv_endpoint "$1")/metrics" |
        sed -n "s/^sealkv_credential_reloads_total{plugin=\"$2\",outcome=\"$3\"} //p"
}
metric_is() { [ "$(metric "$1" "$2" "$3")" = "$4" ]; }
log_count() { grep -c "$2" "$D/n$1.log"; }
status_has() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 5 --json status | grep -q "$2"; }

TLS=0
grep -q 'ca_file:' "$D/n1.yaml" && TLS=1
if [ "$TLS" = 1 ]; then
    skv_assert "status: transport authenticated and encrypted" \
        status_has 1 '"transport":{"authenticated":true,"encrypted":true}'
    skv_assert "no plaintext warning at start" sh -c "! grep -q 'node-to-node traffic is' $D/n1.log"
fi
skv_assert "reload counters start at 0" metric_is 1 transport ok 0

kill -HUP "$(skv_pid 1)"
skv_wait 10 "transport reload logged" grep -q 'component=transport msg="credentials reloaded"' "$D/n1.log"
skv_assert "admin reload logged (one line)" sh -c \
    "[ \$(grep -c 'component=admin msg=\"credentials' $D/n1.log) -eq 1 ]"
skv_assert "counter: transport ok = 1" metric_is 1 transport ok 1
skv_assert "node 1 still runs after SIGHUP" kill -0 "$(skv_pid 1)"
skv_assert "writes still work" eval 'skv_cli 1 put after-hup-1 v >/dev/null'

if [ "$TLS" = 1 ]; then
    crt=$(sed -n 's/.*cert_file: \([^,}]*\).*/\1/p' "$D/n1.yaml" | head -1)
    cp "$crt" "$D/good.crt"
    echo "not a certificate" >"$crt"
    kill -HUP "$(skv_pid 1)"
    skv_wait 10 "failed reload logged" grep -q 'level=error component=transport msg="credentials reload failed' "$D/n1.log"
    skv_assert "counter: transport error = 1" metric_is 1 transport error 1
    skv_assert "node 1 still runs after a failed reload" kill -0 "$(skv_pid 1)"
    skv_assert "the cluster keeps accepting writes through node 1" eval 'skv_cli 1 put after-bad-hup v >/dev/null'
    skv_assert "node 1 still reports an authenticated transport" \
        status_has 1 '"authenticated":true'
    cp "$D/good.crt" "$crt"
    kill -HUP "$(skv_pid 1)"
    skv_wait 10 "a good reload again" metric_is 1 transport ok 2
fi

# a plaintext transport: warned about at start, reported in status
for i in 1 2 3; do skv_stop "$i"; done
sed -e 's#options: { *ca_file: [^}]*}#options: { insecure: true }#' "$D/n1.yaml" >"$D/plain.yaml"
grep -q 'insecure: true' "$D/plain.yaml" || sed -i 's#^plugins:#plugins:\n  transport: { name: tcp, options: { insecure: true } }#' "$D/plain.yaml"
cp "$D/plain.yaml" "$D/n1.yaml"
: >"$D/n1.log"
skv_start 1
skv_wait 20 "node 1 serves status" status_has 1 '"transport"'
skv_assert "plaintext: WARN at start" grep -q 'level=warn .*node-to-node traffic is unauthenticated and plaintext' "$D/n1.log"
skv_assert "plaintext: status says so" status_has 1 '"transport":{"authenticated":false,"encrypted":false}'
skv_finish
