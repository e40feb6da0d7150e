#!/bin/sh
# SPDX-License-Identifier: MIT
# The out-of-tree cipher plugin examples/cipher-openssl/: `make install
# DESTDIR=<tmp>` from the build tree, the example built with its own
# Makefile against the staged headers only (its one export is
# sealkv_plugin_v1); then
#  - sealkv-plugin-check (installed) passes both builds;
#  - a fresh 3-node cluster where node 3 runs the test-only variant
#    (-DSKV_OPENSSL_FAKE_NO_AES: aes-256-gcm listed unavailable) refuses
#    Phase 1 at the capability gate: 412 ErrCapabilityCheckFailed naming
#    node 3 and "does not support suite aes-256-gcm"; no sidecar written;
#  - a 3-node cluster on cipher-sodium (suite aes-256-gcm) through Phase 1
#    and Phase 2 with writes before, between and after; node 3 restarted on
#    cipher-openssl (mixed cluster) reads all old data locally and takes new
#    writes (best effort: it becomes leader, sealing the log for sodium
#    nodes); then nodes 1 and 2 restarted on cipher-openssl too: everything
#    readable everywhere, writes continue, nobody halted.
SKV_TEST=cipher-openssl
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

for v in SKV_INST_PKGCONFIGDIR SKV_INST_INCLUDEDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || { echo "FAIL: $v is not set (tests/packaging.mk sets it)"; exit 1; }
done
if ! pkg-config --exists libcrypto; then
    echo "SKIP: libcrypto (Debian: libssl-dev) not found by pkg-config"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skv-ossl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/root"

# ---- stage an install, build the example against it ---------------------
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        make -C "$B" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
    tail -30 "$tmp/install.log"
    echo "FAIL: make install DESTDIR=$dest"
    exit 1
fi
skv_log "staged install in $dest"
SKV_PC="env PKG_CONFIG_PATH=$dest$SKV_INST_PKGCONFIGDIR PKG_CONFIG_SYSROOT_DIR=$dest pkg-config"
# build_example DIR [CPPFLAGS]: a copy of examples/cipher-openssl built in DIR
build_example() {
    mkdir -p "$1" && cp "$S/examples/cipher-openssl/Makefile" \
        "$S/examples/cipher-openssl/cipher_openssl.c" "$1/" &&
        chmod u+w "$1"/* &&
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$1" \
            SEALKV_PKG_CONFIG="$SKV_PC" CFLAGS="-O2 -g -Werror" CPPFLAGS="${2:-}" \
            >"$1/build.log" 2>&1
}
exports_only_entry() {
    syms=$(nm -D --defined-only "$1" | awk '{print $3}' |
           grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$')
    [ "$syms" = sealkv_plugin_v1 ] || { skv_log "$1 exports: $(echo $syms)"; return 1; }
}
SKV_OPENSSL_DIR=$tmp/ossl
NOAES_DIR=$tmp/ossl-noaes
if build_example "$SKV_OPENSSL_DIR"; then
    skv_assert "cipher-openssl builds with its Makefile against the staged headers" true
else
    cat "$SKV_OPENSSL_DIR/build.log"
    skv_fail "building examples/cipher-openssl"; skv_finish; exit 1
fi
skv_assert "the build used the staged headers" \
    grep -q -F -- "-I$dest$(dirname "$SKV_INST_INCLUDEDIR") " "$SKV_OPENSSL_DIR/build.log"
skv_assert "the build used -fvisibility=hidden" grep -q -- -fvisibility=hidden "$SKV_OPENSSL_DIR/build.log"
skv_assert "cipher-openssl.so exports only sealkv_plugin_v1" \
    exports_only_entry "$SKV_OPENSSL_DIR/cipher-openssl.so"
build_example "$NOAES_DIR" -DSKV_OPENSSL_FAKE_NO_AES || { cat "$NOAES_DIR/build.log"; skv_fail "building the no-aes variant"; }
skv_assert "the no-aes variant exports only sealkv_plugin_v1" \
    exports_only_entry "$NOAES_DIR/cipher-openssl.so"
export SKV_OPENSSL_DIR

# ---- the SDK's conformance checker, as installed --------------------------
CHK=$dest$SKV_INST_BINDIR/sealkv-plugin-check
skv_assert "sealkv-plugin-check is installed" test -x "$CHK"
skv_assert "sealkv-plugin-check passes cipher-openssl.so (vectors, tamper, arguments)" \
    sh -c "'$CHK' cipher '$SKV_OPENSSL_DIR/cipher-openssl.so' >'$tmp/pcheck.out' 2>&1 || { cat '$tmp/pcheck.out'; exit 1; }"
skv_assert "sealkv-plugin-check passes the no-aes variant (unavailable suite refuses keys)" \
    sh -c "'$CHK' cipher '$NOAES_DIR/cipher-openssl.so' >'$tmp/pcheck.out' 2>&1 || { cat '$tmp/pcheck.out'; exit 1; }"

# ---- the AEAD contract, through dlopen (driver built on staged headers) --
cat >"$tmp/drv.c" <<'CEOF'
#include <sealkv/cipher.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#define CHECK(c, what) do { if (!(c)) { printf("FAIL: %s\n", what); return 1; } } while (0)
int main(int argc, char **argv)
{
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    const struct skv_plugin *(*entry)(void);
    const struct skv_plugin *p;
    const struct skv_cipher_ops *o;
    struct skv_cipher_suite su;
    struct skv_err e;
    void *st = NULL, *k = NULL;
    unsigned char key[32], nonce[12], buf[64 + 16], ref[64 + 16], pt[64];
    const unsigned char aad[] = "aad";
    int noaes = argc > 2;
    CHECK(h, "dlopen");
    *(void **)&entry = dlsym(h, SKV_PLUGIN_ENTRY);
    CHECK(entry && (p = entry()), "entry symbol");
    CHECK(p->kind == SKV_KIND_CIPHER && strcmp(p->name, "openssl") == 0, "descriptor");
    o = p->ops;
    CHECK(p->init(NULL, &st, &e) == SKV_OK, "init");
    memset(&su, 0, sizeof su); su.struct_size = sizeof su;
    CHECK(o->suite_get(st, 0, &su) == SKV_OK && strcmp(su.name, "aes-256-gcm") == 0 &&
          su.key_len == 32 && su.nonce_len == 12 && su.tag_len == 16, "suite 0 is aes-256-gcm 32/12/16");
    if (noaes) {
        CHECK(!su.available, "variant: aes-256-gcm unavailable");
        CHECK(o->key_new(st, "aes-256-gcm", key, 32, &k, &e) == SKV_ERR_UNSUPPORTED, "variant: key_new UNSUPPORTED");
        printf("ok: the no-aes variant lists aes-256-gcm unavailable and refuses its keys\n");
        return 0;
    }
    CHECK(su.available && o->suite_count(st) == 1, "one suite, available");
    CHECK(o->random(st, key, sizeof key, &e) == SKV_OK && o->random(st, nonce, sizeof nonce, &e) == SKV_OK, "random");
    CHECK(o->random(st, pt, sizeof pt, &e) == SKV_OK, "random pt");
    CHECK(o->key_new(st, "aes-256-gcm", key, 31, &k, &e) == SKV_ERR_INVALID, "31-byte key: INVALID");
    CHECK(o->key_new(st, "chacha20-poly1305", key, 32, &k, &e) == SKV_ERR_NOTFOUND, "unknown suite: NOTFOUND");
    CHECK(o->key_new(st, "aes-256-gcm", key, 32, &k, &e) == SKV_OK, "key_new");
    CHECK(o->seal(k, nonce, 12, aad, 3, pt, sizeof pt, ref, &e) == SKV_OK, "seal");
    CHECK(memcmp(ref, pt, sizeof pt) != 0, "ciphertext differs from plaintext");
    CHECK(o->seal(k, nonce, 11, aad, 3, pt, sizeof pt, buf, &e) == SKV_ERR_INVALID, "11-byte nonce: INVALID");
    memcpy(buf, pt, sizeof pt);
    CHECK(o->seal(k, nonce, 12, aad, 3, buf, sizeof pt, buf, &e) == SKV_OK && memcmp(buf, ref, sizeof ref) == 0, "in-place seal = seal");
    CHECK(o->open(k, nonce, 12, aad, 3, buf, sizeof buf, buf, &e) == SKV_OK && memcmp(buf, pt, sizeof pt) == 0, "in-place open round-trips");
    CHECK(o->seal(k, nonce, 12, NULL, 0, NULL, 0, buf, &e) == SKV_OK && o->open(k, nonce, 12, NULL, 0, buf, 16, buf, &e) == SKV_OK, "empty message, no AAD");
    memcpy(buf, ref, sizeof ref); buf[5] ^= 1;
    CHECK(o->open(k, nonce, 12, aad, 3, buf, sizeof buf, pt, &e) == SKV_ERR_INTEGRITY, "flipped ciphertext bit: INTEGRITY");
    memcpy(buf, ref, sizeof ref); buf[sizeof buf - 1] ^= 0x80;
    CHECK(o->open(k, nonce, 12, aad, 3, buf, sizeof buf, pt, &e) == SKV_ERR_INTEGRITY, "flipped tag bit: INTEGRITY");
    CHECK(o->open(k, nonce, 12, (const unsigned char *)"aae", 3, ref, sizeof ref, pt, &e) == SKV_ERR_INTEGRITY, "other AAD: INTEGRITY");
    CHECK(o->open(k, nonce, 12, aad, 3, ref, 15, pt, &e) == SKV_ERR_INVALID, "shorter than the tag: INVALID");
    o->key_free(k);
    o->key_free(NULL);
    p->fini(st);
    printf("ok: seal/open/in-place/tamper/argument checks\n");
    return 0;
}
CEOF
if ${CC:-cc} -std=c99 -Wall -Wextra -Werror $($SKV_PC --cflags sealkv-plugin) \
        -o "$tmp/drv" "$tmp/drv.c" -ldl 2>"$tmp/drv.err"; then
    skv_assert "AEAD contract of cipher-openssl.so" "$tmp/drv" "$SKV_OPENSSL_DIR/cipher-openssl.so"
    skv_assert "the no-aes variant reports aes-256-gcm unavailable" "$tmp/drv" "$NOAES_DIR/cipher-openssl.so" noaes
else
    skv_fail "building the dlopen driver: $(head -5 "$tmp/drv.err")"
fi

# lib.sh's trap replaces ours: clean both
retrap() { trap 'skv_cleanup; rm -rf "$tmp"' EXIT; trap 'exit 1' INT TERM; }
cap() { curl -sS -f --max-time 5 "$(skv_endpoint "$1")/v1/encryption/capability"; }
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
enc_field() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 0 --json status | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2; }

SKV_ENC_NODES="1 2 3"
for i in 1 2 3; do eval "SKV_CIPHER_OPTS_$i='suite: aes-256-gcm'"; done

# ---- a node lacking the cluster's suite is refused by the gate ----------
SKV_CIPHER_3=openssl SKV_CIPHER_PATH_3=$NOAES_DIR SKV_CIPHER_OPTS_3=
skv_setup 3
retrap
D=$SKV_DIR
skv_start 1; skv_start 2
skv_wait 20 "a leader among nodes 1 and 2" skv_leader
skv_start 3
skv_wait 20 "node 3 (no-aes variant) answers" cap 3
C3=$(cap 3)
skv_log "node 3: $C3"
skv_assert "node 3 runs cipher plugin openssl" has "$C3" '"cipher_plugin":"openssl"'
skv_assert "node 3 lists only chacha20-poly1305" has "$C3" '"suites":["chacha20-poly1305"]'
L=$(skv_leader)
skv_assert "the leader ($L) is a sodium node" [ "$L" != 3 ]
code=$(skv_enc_post 1 enable-storage-envelope)
skv_log "enable-storage-envelope: $code $(cat "$D/resp")"
skv_assert "Phase 1 refused: 412 ErrCapabilityCheckFailed" \
    sh -c "[ '$code' = 412 ] && grep -q ErrCapabilityCheckFailed '$D/resp'"
skv_assert "the refusal names node 3 and the suite" \
    grep -q 'node 3 ([^)]*): does not support suite aes-256-gcm' "$D/resp"
skv_assert "the refusal does not blame nodes 1 and 2" sh -c "! grep -q 'node [12] (' '$D/resp'"
skv_assert "no sidecar was written" sh -c "[ ! -e $D/data1/encryption/keys.json ] && [ ! -e $D/data3/encryption/keys.json ]"
skv_cleanup
unset SKV_CIPHER_3 SKV_CIPHER_PATH_3
SKV_CIPHER_OPTS_3='suite: aes-256-gcm'

# ---- Phase 1 + 2 on sodium, then a rolling move to openssl --------------
skv_setup 3
retrap
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
# caught_up nodes...: a leader exists and the nodes applied its log
caught_up() { skv_wait 20 "a leader" skv_leader && skv_wait_caught_up "$@"; }
# put_range node prefix from to
put_range() {
    for k in $(seq "$3" "$4"); do
        skv_cli "$1" put "$2-$k" "val-$2-$k" >/dev/null || { skv_fail "put $2-$k via node $1"; return 1; }
    done
}
# all_local prefix from to nodes...: every node reads every key locally
all_local() {
    p=$1 a=$2 z=$3; shift 3
    for key in $(seq "$a" "$z"); do
        skv_all_local_eq "$p-$key" "val-$p-$key" "$@" || { skv_log "node(s) $* lack $p-$key"; return 1; }
    done
}
put_range 1 pre 1 20
code=$(skv_enc_post 1 enable-storage-envelope)
skv_assert "Phase 1 (storage envelope): 200" [ "$code" = 200 ]
put_range 2 mid 1 20
code=$(skv_enc_post 2 enable-raft-envelope)
skv_assert "Phase 2 (raft envelope): 200" [ "$code" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$D/resp" | cut -d: -f2)
skv_assert "cutover index N=$N > 0" sh -c "[ -n '$N' ] && [ '$N' -gt 0 ]"
put_range 3 post 1 20
caught_up 1 2 3
for i in 1 2 3; do
    skv_assert "node $i: cipher sodium" has "$(cap $i)" '"cipher_plugin":"sodium"'
done

# node 3 on cipher-openssl: a mixed cluster
skv_stop 3
SKV_CIPHER_3=openssl
skv_write_conf 3
skv_start 3
skv_wait 20 "node 3 answers on openssl" cap 3
C3=$(cap 3)
skv_assert "node 3 now runs cipher plugin openssl with aes-256-gcm" \
    sh -c "case '$C3' in *'\"cipher_plugin\":\"openssl\"'*'\"suites\":[\"aes-256-gcm\"]'*|*'\"suites\":[\"aes-256-gcm\"]'*'\"cipher_plugin\":\"openssl\"'*) exit 0;; esac; exit 1"
caught_up 1 2 3
skv_assert "mixed: node 3 reads pre-Phase-1 data locally" all_local pre 1 20 3
skv_assert "mixed: node 3 reads Phase-1 data locally" all_local mid 1 20 3
skv_assert "mixed: node 3 reads post-cutover data locally" all_local post 1 20 3
skv_assert "mixed: writes through node 3" put_range 3 mix 1 20
caught_up 1 2 3
skv_assert "mixed: node 3's writes readable on all nodes" all_local mix 1 20 1 2 3
# best effort: make node 3 (openssl) the leader, so that sodium nodes open
# entries it sealed
tries=0
while [ "$(skv_leader)" != 3 ] && [ $tries -lt 4 ]; do
    tries=$((tries + 1))
    L=$(skv_leader) || break
    skv_stop "$L"
    skv_wait 20 "a new leader" skv_leader
    skv_start "$L"
    skv_wait 20 "node $L is back" skv_status_field "$L" id
done
L=$(skv_leader)
skv_log "mixed cluster leader: node $L"
skv_assert "mixed: writes with leader $L" put_range 1 lead 1 20
caught_up 1 2 3
skv_assert "mixed: those writes readable on all nodes" all_local lead 1 20 1 2 3

# nodes 1 and 2 on openssl too, one at a time
for mv in 1 2; do   # (not i: lib.sh helpers assign i)
    skv_stop $mv
    eval "SKV_CIPHER_$mv=openssl"
    skv_write_conf $mv
    skv_start $mv
    skv_wait 20 "node $mv answers on openssl" cap $mv
    skv_assert "node $mv now runs cipher plugin openssl" has "$(cap $mv)" '"cipher_plugin":"openssl"'
    skv_wait 20 "a leader" skv_leader
    skv_assert "writes continue after moving node $mv" put_range $mv "after$mv" 1 10
done
caught_up 1 2 3
for p in pre mid post mix lead; do
    skv_assert "all openssl: '$p' data readable on every node" all_local $p 1 20 1 2 3
done
skv_assert "all openssl: later writes readable on every node" all_local after1 1 10 1 2 3
skv_assert "all openssl: writes continue" put_range 2 final 1 10
caught_up 1 2 3
skv_assert "all openssl: final writes readable on every node" all_local final 1 10 1 2 3
for i in 1 2 3; do
    skv_assert "node $i not halted" sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint $i) --json status | grep -o '\"state\":\"halted\"')\" = '' ]"
    skv_assert "node $i: cutover index still $N" [ "$(enc_field $i raft_envelope_cutover_index)" = "$N" ]
done
skv_assert "no authentication failure in any log" sh -c "! grep -l -i 'authentication failed\|ErrIntegrity' $D/n*.log"
skv_finish
