#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/smoke.sh — `make fuzz-smoke`: builds every libFuzzer target
# with clang (ASan+UBSan) and runs each for a bounded time on a scratch
# copy of its in-tree seed corpus. Longer runs: FUZZ_SECONDS=600.
# Targets: YAML config, wire frames, HTTP routes and query strings, sidecar JSON,
# Envelopes v1/v2 (over the cipher-sodium plugin's sources), FSM payloads
# (the decoder shared by intake and apply, rotate-dek and retire included), the POST /v1/txn
# body (JSON → 0x07 → decoded back), backup files (sealkv snapshot restore|info),
# the POST /v1/encryption/rewrap-kek body, libsealkv-client's parsers of
# the server's answers (listing, txn outcome, index, watch line), the transport-tcp
# handshake + first frame header + certificate identity (OpenSSL), the
# snapshot header and the record reader of spooled snapshots.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-20}
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz smoke: $CC not found (apt-get install clang libclang-rt-14-dev)"
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/skv-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$top/abi -I$top/core"
fail=0

build() { # name, extra flags/sources...
    name=$1; shift
    # shellcheck disable=SC2086
    if ! $CC $flags "$@" -o "$work/$name" 2>"$work/$name.build.log"; then
        echo "FAIL: building fuzz target $name"; cat "$work/$name.build.log"; fail=1; return 1
    fi
}

run() { # name corpus-subdir
    name=$1
    mkdir -p "$work/corpus-$name"
    [ -d "$top/tests/fuzz/corpus/$2" ] && cp "$top/tests/fuzz/corpus/$2"/* "$work/corpus-$name/" 2>/dev/null
    if "$work/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/$name-" "$work/corpus-$name" >"$work/$name.log" 2>&1; then
        echo "ok: $name"
        tail -1 "$work/$name.log"
    else
        echo "FAIL: fuzz target $name found a problem:"; tail -40 "$work/$name.log"; fail=1
    fi
}

build fuzz_config "$top/tests/fuzz/fuzz_config.c" "$top"/core/config/config.c "$top"/core/config/conf_*.c -lyaml &&
    run fuzz_config config
build fuzz_wire "$top/tests/fuzz/fuzz_wire.c" "$top/core/wire/wire.c" "$top/core/wire/wire_raft.c" "$top/core/wire/wire_bounds.c" \
    "$top/core/util/buf.c" -lraft &&
    run fuzz_wire wire
build fuzz_http_routes -I"$top/plugins/admin-http" "$top/tests/fuzz/fuzz_http_routes.c" \
    "$top/plugins/admin-http/http_routes.c" "$top/plugins/admin-http/http_query.c" \
    "$top/plugins/admin-http/http_reply.c" \
    -ljansson -lmicrohttpd && run fuzz_http_routes http
build fuzz_sidecar "$top/tests/fuzz/fuzz_sidecar.c" "$top/core/enc/sidecar.c" \
    "$top/core/enc/sidecar_json.c" "$top/core/util/errors.c" -ljansson -lsodium &&
    run fuzz_sidecar sidecar
# cipher_sodium.c includes the configure-generated build-config.h
mkdir -p "$work/inc" && echo '#define PACKAGE_VERSION "fuzz"' >"$work/inc/build-config.h"
# ... and its PKCS#11 key provider (p11_*.c) p11-kit's <p11-kit/pkcs11.h>
p11inc=$(pkg-config --cflags p11-kit-1 2>/dev/null || echo -I/usr/include/p11-kit-1)
# shellcheck disable=SC2086
build fuzz_envelope -I"$work/inc" $p11inc "$top/tests/fuzz/fuzz_envelope.c" \
    "$top"/plugins/cipher-sodium/*.c "$top/core/crypto/enc_err.c" "$top/core/util/errors.c" "$top/core/crypto/kek.c" \
    "$top/core/crypto/keystore.c" "$top/core/crypto/keystore_sub.c" "$top/core/crypto/dek_wrap.c" "$top/core/crypto/envelope.c" \
    "$top/core/crypto/kek_ring.c" \
    -lsodium -lpthread -ldl && run fuzz_envelope envelope
build fuzz_snap_hdr "$top/tests/fuzz/fuzz_snap_hdr.c" "$top/core/fsm/snap_hdr.c" &&
    run fuzz_snap_hdr snaphdr
build fuzz_snap_reader "$top/tests/fuzz/fuzz_snap_reader.c" "$top/core/fsm/snap_reader.c" \
    "$top/core/fsm/snap_rec.c" &&
    run fuzz_snap_reader snapreader
build fuzz_cmd "$top/tests/fuzz/fuzz_cmd.c" "$top"/core/cmd/cmd_decode.c "$top"/core/cmd/command.c \
    "$top"/core/cmd/txn_cmd.c \
    "$top"/core/cmd/enc_cmd.c "$top"/core/cmd/writers.c "$top"/core/crypto/nonce.c \
    "$top"/core/crypto/enc_err.c "$top"/core/util/errors.c -lraft && run fuzz_cmd cmd
build fuzz_names "$top/tests/fuzz/fuzz_names.c" "$top/core/crypto/names.c" \
    "$top/core/crypto/enc_err.c" "$top/core/util/errors.c" "$top/core/crypto/keystore.c" \
    "$top/core/crypto/keystore_sub.c" "$top/core/crypto/dek_wrap.c" "$top/core/crypto/kek.c" \
    "$top/core/crypto/kek_ring.c" -lsodium -lpthread && run fuzz_names names
build fuzz_rewrap_body "$top/tests/fuzz/fuzz_rewrap_body.c" "$top/core/admin/rewrap_body.c" \
    -ljansson && run fuzz_rewrap_body rewrap
build fuzz_txn "$top/tests/fuzz/fuzz_txn.c" "$top/core/admin/txn_json.c" "$top/core/cmd/txn_cmd.c" \
    -ljansson -lsodium -lraft && run fuzz_txn txn
build fuzz_backup "$top/tests/fuzz/fuzz_backup.c" "$top/core/fsm/backup_file.c" \
    "$top/core/fsm/snap_rec.c" "$top/core/fsm/snap_hdr.c" "$top/core/util/buf.c" \
    -ljansson -lsodium && run fuzz_backup backup
cl="$top/client/lib"
build fuzz_client -I"$top/client" "$top/tests/fuzz/fuzz_client.c" "$cl/cl_codec.c" \
    "$cl/cl_kv.c" "$cl/cl_list.c" "$cl/cl_txn.c" "$cl/cl_handle.c" "$cl/cl_http.c" \
    "$top/core/util/errors.c" "$top/core/util/buf.c" \
    -lcurl -ljansson -lsodium && run fuzz_client client
tcp="$top/plugins/transport-tcp"
build fuzz_tcp_handshake -I"$tcp" "$top/tests/fuzz/fuzz_tcp_handshake.c" \
    "$tcp/tcp_frame.c" "$tcp/tcp_io.c" "$tcp/tcp_link.c" "$tcp/tcp_creds.c" \
    "$tcp/tcp_ident.c" -lssl -lcrypto -lpthread && run fuzz_tcp_handshake tcphs
exit $fail
