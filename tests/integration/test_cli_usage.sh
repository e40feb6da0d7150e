#!/bin/sh
# SPDX-License-Identifier: MIT
# sealkv CLI without a server: --help/--version exit 0; usage errors exit 2
# (the compare-and-swap options included)
# (and never touch the network); an endpoint with nothing listening exits
# 5 with "cannot reach", at once with --retry 0 and after about the budget
# with --retry SECS.
SKV_TEST=cli_usage
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/skv-cli-XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT INT TERM
PORT=$("$FREEPORT" -o $$ 1) || { echo "freeport failed"; exit 99; }
DEAD="http://127.0.0.1:$PORT"
# Anything that wrongly reaches the network fails (exit 5), not exit 2.
SEALKV_ENDPOINT=$DEAD
export SEALKV_ENDPOINT

# rc_is WANT args...: run the CLI (stdin empty), keep its output in $T.
rc_is() {
    want=$1; shift
    "$SEALKV" "$@" >"$T/out" 2>"$T/err" </dev/null
    got=$?
    [ "$got" -eq "$want" ] || { skv_log "exit $got, wanted $want: sealkv $*"; cat "$T/err"; return 1; }
}
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
usage_err() { rc_is 2 "$@" && err_has "Try 'sealkv --help'"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
between() { [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }

skv_assert "--help prints usage on stdout" eval 'rc_is 0 --help && out_has "usage: sealkv" && out_has "members add ID ADDR"'
skv_assert "-h exits 0" rc_is 0 -h
skv_assert "--version exits 0" eval 'rc_is 0 --version && out_has "^sealkv [0-9]"'
skv_assert "no command: 2" eval 'usage_err && err_has "no command"'
skv_assert "options only, no command: 2" usage_err --json --retry 0
skv_assert "unknown command: 2" eval 'usage_err frobnicate && err_has "unknown command"'
skv_assert "get without key: 2" eval 'usage_err get && err_has "missing arguments"'
skv_assert "get with empty key: 2" usage_err get ""
skv_assert "put without key: 2" usage_err put
skv_assert "put with too many args: 2" usage_err put k v w
# compare-and-swap options (issue 16 item 3)
skv_assert "--prev-index on get: 2" eval 'usage_err get k --prev-index 3 && err_has "applies only to"'
skv_assert "--prev-exist on del: 2" eval 'usage_err del k --prev-exist true && err_has "applies only to"'
skv_assert "--prev-index and --prev-exist together: 2" usage_err put k v --prev-index 3 --prev-exist true
skv_assert "--prev-index twice: 2" usage_err put k v --prev-index 3 --prev-index 4
skv_assert "--prev-index not a number: 2" eval 'usage_err put k v --prev-index 3x && err_has "prev-index"'
skv_assert "--prev-index above 2^62: 2" usage_err put k v --prev-index 4611686018427387905
skv_assert "--prev-exist maybe: 2" eval 'usage_err put k v --prev-exist maybe && err_has "prev-exist"'
skv_assert "--prev-index without a value: 2" usage_err put k v --prev-index
skv_assert "a valid CAS put reaches the network (5)" rc_is 5 --retry 0 put k v --prev-index 0
skv_assert "delete is del (reaches the network: 5)" rc_is 5 --retry 0 delete k --prev-index 7
skv_assert "del without key: 2" usage_err del
skv_assert "status with an extra arg: 2" usage_err status now
skv_assert "members add without ADDR: 2" usage_err members add 4
skv_assert "members add with a bad id: 2" usage_err members add 4x 127.0.0.1:1
skv_assert "members remove id 0: 2" usage_err members remove 0
skv_assert "members promote huge id: 2" usage_err members promote 99999999999999999999
skv_assert "unknown members subcommand: 2" eval 'usage_err members frob && err_has "unknown members subcommand"'
skv_assert "encryption without subcommand: 2" usage_err encryption
skv_assert "unknown encryption subcommand: 2" usage_err encryption disable
skv_assert "bad option: 2" eval 'usage_err --bogus status && err_has "unknown option"'
skv_assert "bad short option: 2" usage_err -x status
skv_assert "--timeout not a number: 2" usage_err --timeout abc status
skv_assert "--timeout 0: 2" usage_err --timeout 0 status
skv_assert "--retry negative: 2" usage_err --retry -1 status
skv_assert "--endpoint without value: 2" usage_err status --endpoint
skv_assert "non-http endpoint: 2" usage_err --endpoint ftp://127.0.0.1:1 status
skv_assert "--local on put: 2" usage_err put k v --local
skv_assert "--standby on get: 2" usage_err get k --standby

t0=$(now_ms)
skv_assert "unreachable endpoint: exit 5" rc_is 5 --endpoint "$DEAD" --retry 0 status
t1=$(now_ms)
skv_assert "unreachable endpoint: says cannot reach $DEAD" err_has "^sealkv: cannot reach $DEAD: "
skv_assert "unreachable endpoint with --retry 0 fails fast ($((t1 - t0)) ms)" between $((t1 - t0)) 0 3000
skv_assert "\$SEALKV_ENDPOINT is the default" eval 'rc_is 5 --retry 0 get k && err_has "cannot reach $DEAD"'
skv_assert "-- lets a key start with '-'" eval 'rc_is 5 --retry=0 get -- -k && err_has "cannot reach"'
skv_assert "put from stdin, unreachable: 5" rc_is 5 --retry 0 put k -

t0=$(now_ms)
skv_assert "refused connections are retried, then exit 5" rc_is 5 --retry 1 del k
t1=$(now_ms)
skv_assert "--retry 1 keeps trying about 1 s ($((t1 - t0)) ms)" between $((t1 - t0)) 900 5000

skv_finish
