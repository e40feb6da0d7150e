#!/bin/sh
# SPDX-License-Identifier: MIT
# `sealkvd --check-config` runs every start-up check that needs no
# stored state: for each refusal the daemon makes at start (KEK file
# missing / world-readable / wrong size, a cipher suite the core does not
# accept, plugin options such as a missing TLS CA file or a non-loopback
# admin listen without TLS, a data_dir that cannot be created, a KEK that
# does not unwrap the sidecar), --check-config refuses too, with the same
# message, and neither writes anything to the data dir. A config that
# passes starts.
SKV_TEST=check_config
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 1
D=$SKV_DIR
(umask 077 && head -c 32 /dev/urandom >"$D/kek.key") || exit 99
# run a command that must end by itself (a start that wrongly succeeds is
# stopped after 20 s: exit 124); its refusal, the logfmt line
# "ts=... level=error component=sealkvd msg=..." without its ts=, goes to $2
run() { o=$1; shift; timeout 20 "$@" >"$o.all" 2>&1; echo $? >"$o.rc"
        grep '^\(ts=[^ ]* \)\{0,1\}level=error component=sealkvd msg=' "$o.all" |
            sed 's/^ts=[^ ]* //' >"$o" || :; }

# conf NAME [sed-expr] [extra-yaml-line]: n1.yaml with data_dir
# $D/dd-NAME, edited by the sed expression, plus a line appended.
conf() {
    sed -e "s#data_dir: $D/data1#data_dir: $D/dd-$1#" -e "${2:-s/^//}" "$D/n1.yaml" >"$D/$1.yaml"
    [ -z "${3:-}" ] || printf '%s\n' "$3" >>"$D/$1.yaml"
}
ENC="encryption: { enabled: true, kek_file: $D/kek.key }"

# same_refusal NAME [DATA_DIR]: both refuse (exit 1), with one identical
# message, and DATA_DIR (default $D/dd-NAME) was not created.
same_refusal() {
    dd=${2:-$D/dd-$1}
    run "$D/$1.check" "$SEALKVD" --check-config --config "$D/$1.yaml"
    run "$D/$1.start" "$SEALKVD" --config "$D/$1.yaml"
    skv_log "  $1: $(cat "$D/$1.check")"
    [ "$(cat "$D/$1.check.rc")" = 1 ] && [ "$(cat "$D/$1.start.rc")" = 1 ] && [ -s "$D/$1.check" ] &&
        cmp -s "$D/$1.check" "$D/$1.start" && [ ! -e "$dd" ] ||
        { skv_log "  check: rc $(cat "$D/$1.check.rc"): $(cat "$D/$1.check.all")"
          skv_log "  start: rc $(cat "$D/$1.start.rc"): $(tail -3 "$D/$1.start.all")"; return 1; }
}

conf kekmissing "" "encryption: { enabled: true, kek_file: $D/no-such.key }"
skv_assert "KEK file missing: same refusal" same_refusal kekmissing
skv_assert "  ... naming the file" grep -q "no-such.key" "$D/kekmissing.check"

cp "$D/kek.key" "$D/kek644.key" && chmod 0644 "$D/kek644.key"
conf kekmode "" "encryption: { enabled: true, kek_file: $D/kek644.key }"
skv_assert "KEK file mode 0644: same refusal" same_refusal kekmode
skv_assert "  ... naming the mode" grep -q "0644" "$D/kekmode.check"

(umask 077 && head -c 16 /dev/urandom >"$D/kek16.key")
conf keksize "" "encryption: { enabled: true, kek_file: $D/kek16.key }"
skv_assert "KEK file of 16 bytes: same refusal" same_refusal keksize

conf suite "s#^plugins:#plugins:\n  cipher: { name: sodium, options: { suite: rot13 } }#" "$ENC"
skv_assert "cipher suite the core does not accept: same refusal" same_refusal suite
skv_assert "  ... ErrSuiteUnsupported or names the suite" grep -q "ErrSuiteUnsupported\|rot13" "$D/suite.check"

: >"$D/afile"
conf parentfile "s#data_dir: $D/dd-parentfile#data_dir: $D/afile/data#"
skv_assert "data_dir under a regular file: same refusal" same_refusal parentfile "$D/afile/data"
skv_assert "  ... says cannot create" grep -q "cannot create" "$D/parentfile.check"

if grep -q 'ca_file:' "$D/n1.yaml"; then
    conf cafile "/transport:/s# ca_file: [^,}]*# ca_file: $D/no-such-ca.crt#"
    skv_assert "transport ca_file missing: same refusal" same_refusal cafile
    skv_assert "  ... naming the file" grep -q "no-such-ca.crt" "$D/cafile.check"
else
    skv_log "transport without TLS options: ca_file case skipped"
fi

if ! grep -q 'tls_cert_file:' "$D/n1.yaml"; then
    conf adminopen "s#listen: 127.0.0.1:#listen: 0.0.0.0:#"
    skv_assert "non-loopback admin listen without TLS: same refusal" same_refusal adminopen
else
    conf admincert "s#tls_cert_file: [^,}]*#tls_cert_file: $D/no-such-admin.crt#"
    skv_assert "admin tls_cert_file missing: same refusal" same_refusal admincert
fi

# a KEK that does not unwrap the sidecar: make a sidecar (Phase 1 on a
# one-node cluster), stop, swap the KEK
conf good "" "$ENC"
run "$D/good.check" "$SEALKVD" --check-config --config "$D/good.yaml"
skv_assert "a good config passes --check-config" [ "$(cat "$D/good.check.rc")" = 0 ]
skv_assert "  ... and writes nothing" [ ! -e "$D/dd-good" ]
cp "$D/good.yaml" "$D/n1.yaml"   # node 1 now runs the good config
skv_start 1
skv_wait 20 "node 1 leads" skv_is_state 1 leader || exit 1
skv_assert "and the daemon starts with it" kill -0 "$(skv_pid 1)"
c=$(skv_enc_post 1 enable-storage-envelope)   # retries 503 (leader not ready yet) for 15 s
skv_assert "enable-storage-envelope: 200" [ "$c" = 200 ]
skv_stop 1
find "$D/dd-good" -type f -exec md5sum {} + | sort >"$D/tree.before"
(umask 077 && head -c 32 /dev/urandom >"$D/kek-other.key")
sed "s#kek_file: $D/kek.key#kek_file: $D/kek-other.key#" "$D/good.yaml" >"$D/otherkek.yaml"
run "$D/otherkek.check" "$SEALKVD" --check-config --config "$D/otherkek.yaml"
run "$D/otherkek.start" "$SEALKVD" --config "$D/otherkek.yaml"
skv_log "  otherkek: $(cat "$D/otherkek.check")"
skv_assert "another KEK: both refuse with the same message" sh -c \
    "[ \$(cat $D/otherkek.check.rc) = 1 ] && [ \$(cat $D/otherkek.start.rc) = 1 ] && [ -s $D/otherkek.check ] && cmp -s $D/otherkek.check $D/otherkek.start"
find "$D/dd-good" -type f -exec md5sum {} + | sort >"$D/tree.after"
skv_assert "  ... and the data dir is byte-identical" cmp -s "$D/tree.before" "$D/tree.after"
skv_finish
