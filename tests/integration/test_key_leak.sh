#!/bin/sh
# SPDX-License-Identifier: MIT
# Key material never leaks (issue 6, item 6): a 3-node cluster (log level
# debug) through Phase 1 and Phase 2 with writes; then every HTTP answer of
# every endpoint on every node (headers included, error answers too), the
# CLI's outputs (text and --json), every log file, sealkv verify, a refused
# start under a wrong KEK, every file under the data dirs, and a core file
# of a running sealkvd (gcore; libsodium marks sodium_malloc memory
# MADV_DONTDUMP) are searched for the KEK, the wrong KEK and every
# unwrapped DEK (skv_dekdump, test-only) as raw bytes, lowercase and
# uppercase hex and base64 (skv_keyscan). Nothing may be found.
# Positive controls show the searcher finds each form and that the core
# file holds the process's heap (the wrapped DEKs are in it).
SKV_TEST=key-leak
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3" SKV_LOG_LEVEL=debug
skv_setup 3
D=$SKV_DIR
O="$D/out"       # everything collected goes here
mkdir -p "$O"
DEKDUMP="$B/tests/integration/skv_dekdump"
KEYSCAN="$B/tests/integration/skv_keyscan"
n_http=0
# http i NAME METHOD PATH [curl args...]: one answer, headers included
http() {
    i=$1 name=$2 m=$3 p=$4; shift 4
    n_http=$((n_http + 1))
    curl -s -i -m 10 -X "$m" "$@" "$(skv_endpoint "$i")$p" >"$O/http-n$i-$name.txt" 2>&1
}
cli() { # i NAME args...: stdout + stderr of the CLI, text and --json
    i=$1 name=$2; shift 2
    "$SEALKV" --endpoint "$(skv_endpoint "$i")" --retry 10 "$@" >"$O/cli-n$i-$name.txt" 2>&1
    "$SEALKV" --endpoint "$(skv_endpoint "$i")" --retry 10 --json "$@" >"$O/cli-n$i-$name.json" 2>&1
}
quiet() { "$@" >/dev/null; }
post_ok() { # i path: POST until not 503 (10 s)
    end=$(($(date +%s) + 10))
    while :; do
        c=$(curl -s -o "$O/post-$$" -w '%{http_code}' -X POST "$(skv_endpoint "$1")$2")
        [ "$c" = 503 ] && [ "$(date +%s)" -lt "$end" ] || break
        sleep 0.2
    done
    [ "$c" = 200 ]
}

for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
for k in $(seq 1 20); do skv_cli 1 put "pre-$k" "v$k" >/dev/null || skv_fail "put pre-$k"; done
skv_assert "phase 1" post_ok 2 /v1/encryption/enable-storage-envelope
for k in $(seq 1 20); do skv_cli 2 put "p1-$k" "v$k" >/dev/null || skv_fail "put p1-$k"; done
skv_assert "phase 2" post_ok 3 /v1/encryption/enable-raft-envelope
for k in $(seq 1 20); do skv_cli 3 put "p2-$k" "v$k" >/dev/null || skv_fail "put p2-$k"; done
head -c 200 /dev/urandom >"$D/blob"
skv_assert "binary value" sh -c "'$SEALKV' --endpoint $(skv_endpoint 1) put blob - <$D/blob >/dev/null"
skv_wait_caught_up 1 2 3

# ---- the keys --------------------------------------------------------------
skv_assert "skv_dekdump unwraps node 1's DEKs" "$DEKDUMP" "$D/n1.yaml" "$D/keys"
"$DEKDUMP" "$D/n2.yaml" "$D/keys2" || skv_fail "skv_dekdump on node 2"
skv_assert "the DEKs: one storage and one raft key, the same on nodes 1 and 2" sh -c \
    "[ \$(grep -c '^dek-[0-9]*-storage ' $D/keys) -ge 1 ] && [ \$(grep -c '^dek-[0-9]*-raft ' $D/keys) -ge 1 ] && cmp -s $D/keys $D/keys2"
echo "kek $(od -An -v -tx1 "$D/kek.key" | tr -d ' \n')" >>"$D/keys"
(umask 077 && head -c 32 /dev/urandom >"$D/wrong.key")
echo "wrong-kek $(od -An -v -tx1 "$D/wrong.key" | tr -d ' \n')" >>"$D/keys"
skv_log "searching for: $(cut -d' ' -f1 "$D/keys" | tr '\n' ' ')"

# ---- positive controls for the searcher --------------------------------------
unhex() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
dek=$(grep -m1 '^dek-' "$D/keys" | cut -d' ' -f2)
unhex "$dek" >"$D/ctl-raw.bin"
{ printf 'xx'; cat "$D/ctl-raw.bin"; printf 'yy'; } >"$D/ctl-raw"
printf 'id=%s;' "$dek" >"$D/ctl-hex"
printf 'id=%s;' "$(printf '%s' "$dek" | tr a-f A-F)" >"$D/ctl-HEX"
for s in 0 1 2; do   # base64 of the key embedded at each byte alignment
    { head -c "$s" /dev/zero; cat "$D/ctl-raw.bin"; printf 'tail'; } | base64 -w0 >"$D/ctl-b64-$s"
done
for f in ctl-raw ctl-hex ctl-HEX ctl-b64-0 ctl-b64-1 ctl-b64-2; do
    skv_assert "control: skv_keyscan finds the DEK in $f" sh -c "'$KEYSCAN' $D/keys $D/$f 2>/dev/null | grep -q '^HIT dek-'"
done
rm -f "$D"/ctl-*

# ---- every endpoint, every node ------------------------------------------------
for i in 1 2 3; do
    http "$i" status GET /v1/status
    http "$i" metrics GET /metrics
    http "$i" capability GET /v1/encryption/capability
    http "$i" sidecar GET /v1/encryption/sidecar
    http "$i" members GET /v1/cluster/members
    http "$i" get GET /v1/kv/p2-1
    http "$i" get-local GET "/v1/kv/p2-2?consistency=local"
    http "$i" get-blob GET /v1/kv/blob
    http "$i" get-missing GET /v1/kv/no-such-key
    http "$i" put PUT "/v1/kv/leak-$i" --data-binary "v$i"
    http "$i" del DELETE "/v1/kv/pre-$i"
    http "$i" del-missing DELETE /v1/kv/no-such-key
    http "$i" enable-storage-again POST /v1/encryption/enable-storage-envelope
    http "$i" enable-raft-again POST /v1/encryption/enable-raft-envelope
    http "$i" members-add-bad POST /v1/cluster/members --data-binary '{"id":'
    http "$i" members-add-dup POST /v1/cluster/members --data-binary "{\"id\":1,\"address\":\"127.0.0.1:$(skv_rport 1)\",\"role\":\"voter\"}"
    http "$i" members-add-unreachable POST /v1/cluster/members --data-binary '{"id":9,"address":"127.0.0.1:1","role":"standby"}'
    http "$i" members-del-missing DELETE /v1/cluster/members/77
    http "$i" promote-missing POST /v1/cluster/members/77/promote
    http "$i" unknown-path GET /v1/keys
    http "$i" wrong-method PATCH /v1/status
    http "$i" no-key GET /v1/kv
    http "$i" bad-consistency GET "/v1/kv/p2-3?consistency=bogus"
    http "$i" sidecar-post POST /v1/encryption/sidecar
    http "$i" erase-cleartext POST /v1/encryption/erase-cleartext
    http "$i" healthz GET /healthz
    http "$i" readyz GET /readyz
    http "$i" unknown-param PUT "/v1/kv/p2-4?ttl=5" --data-binary x
done
skv_assert "every node answered status, sidecar and capability" sh -c \
    "grep -l '^HTTP/1.1 200' $O/http-n*-status.txt $O/http-n*-sidecar.txt $O/http-n*-capability.txt | wc -l | grep -qx 9"
skv_assert "the sidecar answers carry the wrapped keys" grep -q '"wrapped"' "$O/http-n1-sidecar.txt"
skv_assert "error answers were collected too (at least 10 x 4xx/5xx)" [ "$(grep -l '^HTTP/1.1 [45]' "$O"/http-* | wc -l)" -ge 10 ]
skv_log "collected $n_http HTTP answers ($(grep -l '^HTTP/1.1 [45]' "$O"/http-* | wc -l) errors)"

# ---- the CLI -----------------------------------------------------------------------
for i in 1 2 3; do
    cli "$i" status status
    cli "$i" members members
    cli "$i" capability encryption capability
    cli "$i" sidecar encryption sidecar
    cli "$i" enable-storage encryption enable-storage-envelope
    cli "$i" enable-raft encryption enable-raft-envelope
    cli "$i" get get p1-4
    cli "$i" get-missing get no-such-key
    cli "$i" put put "cli-$i" "v$i"
    cli "$i" del del "p1-$i"
    cli "$i" members-remove-missing members remove 77
done
"$SEALKV" --help >"$O/cli-help.txt" 2>&1
"$SEALKV" --version >"$O/cli-version.txt" 2>&1
"$SEALKV" --endpoint http://127.0.0.1:1 --retry 0 status >"$O/cli-unreachable.txt" 2>&1
"$SEALKVD" --version >"$O/sealkvd-version.txt" 2>&1
"$SEALKVD" --config "$D/n1.yaml" --check-config >"$O/sealkvd-check-config.txt" 2>&1

# ---- a core file of a running node --------------------------------------------
# Scanned (and deleted: ~1 GB) at once; then a second core with gdb's
# dump-excluded-mappings on must show the keys: the searcher would see
# them, they live only in MADV_DONTDUMP (sodium_malloc) memory.
L=$(skv_leader)
LP=$(skv_pid "$L")
for k in $(seq 1 10); do skv_cli "$L" put "core-$k" "v$k" >/dev/null || skv_fail "put core-$k"; done
# MiB gcore may write (an upper bound: every mapping), without (all=0) or
# with (all=1) the MADV_DONTDUMP ones; and MiB free next to $D
dump_mb() {
    perl -ne 'if (/^([0-9a-f]+)-([0-9a-f]+) /) { $s = hex($2) - hex($1) }
              elsif (/^VmFlags:(.*)/) { $t += $s if '"$2"' || $1 !~ / dd/ }
              END { print int($t / 1048576) }' "/proc/$1/smaps" 2>/dev/null
}
free_mb() { df -Pk "$D" | awk 'NR == 2 { print int($4 / 1024) }'; }
core_ok() { # pid all: a core would be small enough (<= 3 GiB, <= 1/3 of the free space)
    m=$(dump_mb "$1" "$2"); f=$(free_mb)
    [ -n "$m" ] && [ -n "$f" ] && [ "$m" -le 3072 ] && [ $((m * 3)) -le "$f" ]
}
why_no_core=""
if ! command -v gcore >/dev/null 2>&1; then
    why_no_core="gcore (gdb) is not installed"
elif grep -q 'libasan\|libtsan' "/proc/$LP/maps" 2>/dev/null; then
    why_no_core="sanitizer build (shadow memory makes the core huge)"
elif ! core_ok "$LP" 0; then
    why_no_core="the core would take $(dump_mb "$LP" 0) MiB with $(free_mb) MiB free"
fi
if [ -z "$why_no_core" ] && gcore -o "$D/core" "$LP" >"$O/gcore.txt" 2>&1 && [ -s "$D/core.$LP" ]; then
    CORE="$D/core.$LP"
    skv_log "core file of node $L (pid $LP): $(wc -c <"$CORE") bytes, $(du -k "$CORE" | cut -f1) KiB on disk (bound $(dump_mb "$LP" 0) MiB)"
    "$KEYSCAN" "$D/keys" "$CORE" >"$D/core-hits" 2>&1
    core_rc=$?
    cat "$D/core-hits"
    skv_assert "no key (KEK, DEKs) in any form in the core file of running node $L (skv_keyscan rc $core_rc)" [ "$core_rc" -eq 0 ]
    # control: the heap is in the core (the wrapped DEKs live there)
    "$SEALKV" --endpoint "$(skv_endpoint "$L")" --json encryption sidecar |
        grep -o '"wrapped": *"[^"]*"' | cut -d'"' -f4 | while read -r w; do
            echo "wrapped $(printf '%s' "$w" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
        done >"$D/wrapped"
    skv_assert "control: the core file holds the wrapped DEKs (the heap is dumped)" sh -c \
        "[ -s $D/wrapped ] && '$KEYSCAN' $D/wrapped $CORE 2>/dev/null | grep -q '^HIT wrapped raw'"
    if [ "$core_rc" -ne 0 ]; then
        # where: the mapping holding each hit (gdb's view of the core)
        gdb -batch -ex "info proc mappings" -ex "info files" "$SEALKVD" "$CORE" >"$D/core-maps" 2>&1 || true
        skv_log "a key is in the core file; mappings in $D/core-maps (kept)"
        SKV_KEEP=1
    fi
    [ -n "${SKV_KEEP_CORE:-}" ] || rm -f "$CORE"
    grep -q ' dd' "/proc/$LP/smaps" 2>/dev/null &&
        skv_log "node $L has $(grep -c 'VmFlags:.* dd' "/proc/$LP/smaps") MADV_DONTDUMP mapping(s)"
    if ! core_ok "$LP" 1; then
        skv_log "control with dump-excluded-mappings skipped: $(dump_mb "$LP" 1) MiB with $(free_mb) MiB free"
    elif gdb -batch -p "$LP" -ex "set dump-excluded-mappings on" -ex "gcore $D/full" >"$D/gcore-full.txt" 2>&1 &&
        [ -s "$D/full" ]; then
        "$KEYSCAN" "$D/keys" "$D/full" >"$D/full-hits" 2>/dev/null
        rm -f "$D/full"
        missing=""
        for label in $(grep -v '^wrong-kek' "$D/keys" | cut -d' ' -f1); do
            grep -q "^HIT $label raw " "$D/full-hits" || missing="$missing $label"
        done
        skv_assert "control: with MADV_DONTDUMP mappings dumped too, the KEK and every DEK are found raw${missing:+ (missing:$missing)}" [ -z "$missing" ]
    else
        skv_log "control with dump-excluded-mappings skipped: $(tail -1 "$D/gcore-full.txt")"
    fi
    skv_assert "node $L still serves after both cores" quiet skv_cli "$L" put after-core yes
else
    rm -f "$D/core.$LP"
    skv_log "SKIP the core file part: ${why_no_core:-gcore failed: $(tail -1 "$O/gcore.txt" 2>/dev/null)}"
fi

# ---- logs, verify, a refused start, the data dirs ---------------------------------
for i in 1 2 3; do skv_stop "$i"; done
"$SEALKV" verify --config "$D/n2.yaml" >"$O/verify-n2.txt" 2>&1
"$SEALKV" verify --config "$D/n2.yaml" --json >"$O/verify-n2.json" 2>&1
skv_assert "sealkv verify ran on node 2 (output collected)" [ -s "$O/verify-n2.txt" ]
sed "s|$D/kek.key|$D/wrong.key|" "$D/n1.yaml" >"$D/wrong.yaml"
"$SEALKVD" --config "$D/wrong.yaml" >"$O/sealkvd-wrong-kek.txt" 2>&1
skv_assert "a start under a wrong KEK is refused with ErrKEKNotGiven" grep -q ErrKEKNotGiven "$O/sealkvd-wrong-kek.txt"
# the test-only KEK path: $SEALKV_KEK_BASE64 (the real KEK) with no kek_file
sed "s|, kek_file: $D/kek.key||" "$D/n3.yaml" >"$D/env.yaml"
SEALKV_KEK_BASE64=$(base64 -w0 <"$D/kek.key") "$SEALKVD" --config "$D/env.yaml" --check-config >"$O/sealkvd-env-kek.txt" 2>&1

files="$D/n1.log $D/n2.log $D/n3.log $(find "$O" "$D/data1" "$D/data2" "$D/data3" -type f | sort)"
nf=$(echo $files | wc -w)
skv_log "searching $nf files"
"$KEYSCAN" "$D/keys" $files >"$D/hits" 2>"$D/scan.err"
rc=$?
cat "$D/scan.err"
[ -s "$D/hits" ] && sed 's/^/  /' "$D/hits"
skv_assert "no key (KEK, wrong KEK, DEKs) in any form in responses, logs, CLI output, data dirs (skv_keyscan rc $rc)" [ "$rc" -eq 0 ]
# the same for the text forms with grep -F (independent of skv_keyscan)
t=0
while read -r label hex; do
    up=$(printf '%s' "$hex" | tr a-f A-F)
    b64=$(unhex "$hex" | base64 -w0 | cut -c1-42)
    for pat in "$hex" "$up" ${b64:+"$b64"}; do
        if grep -rlF -- "$pat" "$D/n1.log" "$D/n2.log" "$D/n3.log" "$O" "$D"/data* 2>/dev/null | grep -q .; then
            skv_log "grep -F found $label ($pat)"; t=$((t + 1))
        fi
    done
done <"$D/keys"
skv_assert "grep -F: no key as hex, HEX or base64 in any text collected" [ "$t" -eq 0 ]
skv_finish
