#!/bin/sh
# SPDX-License-Identifier: MIT
# sealkv-plugin-check (abi/check/) on every in-tree plugin of the build
# tree: cipher-sodium (each suite option too), storage-leveldb,
# transport-tcp (insecure=true), admin-http (a free loopback port) must
# pass; and the checker can fail: cipher-fakebadtamper.so (bad tag
# answered SKV_ERR_CORRUPT) and cipher-fakexchacha.so (no usable suite)
# make it exit 1 with the failure named, a misnamed copy of a good plugin
# is refused for its file name, and a usage error exits 2.
B=${SKV_TOP_BUILDDIR:-.}
CHK=$B/abi/check/sealkv-plugin-check
P=$B/plugins
U=$B/tests/unit/.libs
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skv-pcheck.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# pass NAME CMD...: the checker exits 0
pass() {
    name=$1; shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then
        echo "ok: $name"
    else
        echo "FAIL: $name (exit $?)"; cat "$tmp/out"; tail -5 "$tmp/err"; fails=$((fails + 1))
    fi
}
# fail NAME PATTERN CMD...: the checker exits 1 and prints a FAIL line
# matching PATTERN
fail() {
    name=$1 pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ $rc -eq 1 ] && grep '^FAIL: ' "$tmp/out" | grep -q -E -- "$pat"; then
        echo "ok: $name: $(grep -E -- "$pat" "$tmp/out" | head -1)"
    else
        echo "FAIL: $name: exit $rc, no FAIL line matching /$pat/"; cat "$tmp/out"
        fails=$((fails + 1))
    fi
}

pass "cipher-sodium" "$CHK" cipher "$P/cipher-sodium/.libs/cipher-sodium.so"
if grep -q '^ok: .*key provider: all four members' "$tmp/out"; then
    echo "ok: cipher-sodium's key provider checked"
else
    echo "FAIL: cipher-sodium's key provider not checked"; fails=$((fails + 1))
fi
pass "cipher-sodium, suite chacha20-poly1305" "$CHK" cipher \
    "$P/cipher-sodium/.libs/cipher-sodium.so" --option suite=chacha20-poly1305
pass "storage-leveldb" "$CHK" storage "$P/storage-leveldb/.libs/storage-leveldb.so"
pass "transport-tcp (insecure)" "$CHK" transport "$P/transport-tcp/.libs/transport-tcp.so" \
    --option insecure=true
port=$("$B/tests/integration/freeport" -o $$ 1) || { echo "FAIL: freeport"; exit 1; }
pass "admin-http on 127.0.0.1:$port" "$CHK" admin "$P/admin-http/.libs/admin-http.so" \
    --option listen=127.0.0.1:$port

fail "bad tamper code is caught" \
    'fake-xor: tamper ciphertext: 64 of 64 .*open returned corrupt data' \
    "$CHK" cipher "$U/cipher-fakebadtamper.so"
fail "bad tamper code: tag, AAD, nonce and wrong key too" \
    'fake-xor: open with a wrong key returned corrupt data' \
    "$CHK" cipher "$U/cipher-fakebadtamper.so"
fail "no usable suite (xchacha + unkeyable chacha)" 'chacha20-poly1305: random key: unsupported' \
    "$CHK" cipher "$U/cipher-fakexchacha.so"
cp "$P/cipher-sodium/.libs/cipher-sodium.so" "$tmp/cipher-other.so" || exit 99
fail "file name must be <kind>-<name>.so" 'file name cipher-other.so is not cipher-sodium.so' \
    "$CHK" cipher "$tmp/cipher-other.so"
fail "kind must match" 'descriptor kind is 3, expected 2' \
    "$CHK" storage "$P/cipher-sodium/.libs/cipher-sodium.so"
fail "an option the plugin never reads" 'option bogus: the plugin never read' \
    "$CHK" storage "$P/storage-leveldb/.libs/storage-leveldb.so" --option bogus=1
"$CHK" cipher >/dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then echo "ok: usage error exits 2"; else echo "FAIL: usage error: exit $rc"; fails=$((fails + 1)); fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all plugin-check tests passed"
