#!/bin/sh
# SPDX-License-Identifier: MIT
# sealkvd's command line and config refusals: --version/--help, usage
# errors (exit 2), --check-config on good and bad configs (exit 0/1 with
# one file:line:col message), a missing plugin, a busy port at start —
# and none of them writes anything to the data dir.
SKV_TEST=sealkvd_args
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 1
D=$SKV_DIR
# run a command that must end by itself; bounded (a start that wrongly
# succeeds is stopped after 20 s and counts as exit 124)
out() { timeout 20 "$@" >"$D/out" 2>&1; echo $? >"$D/rc"; }
rc_is() { [ "$(cat "$D/rc")" = "$1" ]; }
says() { grep -q -- "$1" "$D/out"; }

out "$SEALKVD" --version
skv_assert "--version exits 0 and names the ABI" sh -c "[ \$(cat $D/rc) = 0 ] && grep -q 'plugin ABI 1\.' $D/out"
out "$SEALKVD" --help
skv_assert "--help exits 0" rc_is 0
out "$SEALKVD"
skv_assert "no --config is a usage error (2)" rc_is 2
out "$SEALKVD" --bogus
skv_assert "unknown option is a usage error (2)" rc_is 2

out "$SEALKVD" --check-config --config "$D/n1.yaml"
skv_assert "valid config: --check-config exits 0" rc_is 0
skv_assert "--check-config did not create the data dir" [ ! -e "$D/data1" ]

printf 'node:\n  id: 1\n  adress: x\n' >"$D/bad1.yaml"
out "$SEALKVD" --check-config --config "$D/bad1.yaml"
skv_assert "unknown key: exit 1" rc_is 1
skv_assert "unknown key: file:line:col message" says "bad1.yaml:3:3: unknown key 'adress'"

printf 'node: { id: 1, address: 127.0.0.1:1, data_dir: %s/x }\nraft: { election_timeout_ms: [1] }\n' "$D" >"$D/bad2.yaml"
out "$SEALKVD" --check-config --config "$D/bad2.yaml"
skv_assert "wrong type: exit 1 with line:col" sh -c "[ \$(cat $D/rc) = 1 ] && grep -q 'bad2.yaml:2:' $D/out"

printf 'node: { id: 1, address: 127.0.0.1:1, data_dir: %s/x }\nplugins: { cipher: { name: nosuch } }\n' "$D" >"$D/bad3.yaml"
out "$SEALKVD" --check-config --config "$D/bad3.yaml"
skv_assert "missing plugin: exit 1" rc_is 1
skv_assert "missing plugin: message names the file it looked for" says "cipher-nosuch.so"
out "$SEALKVD" --config "$D/bad3.yaml"
skv_assert "missing plugin at start: exit 1" rc_is 1
skv_assert "a refused start wrote nothing to the data dir" [ ! -e "$D/x" ]

printf 'node: { id: 1, address: 127.0.0.1:1, data_dir: %s/x }\nplugins: { storage: { name: leveldb, options: { cache_mb: lots } } }\n' "$D" >"$D/bad4.yaml"
out "$SEALKVD" --check-config --config "$D/bad4.yaml"
skv_assert "bad plugin option: exit 1 with line:col" sh -c "[ \$(cat $D/rc) = 1 ] && grep -q 'bad4.yaml:2:.*cache_mb' $D/out"

out "$SEALKVD" --check-config --config "$D/does-not-exist.yaml"
skv_assert "missing config file: exit 1" rc_is 1

# a second node on the same ports fails to start with a clear message
skv_start 1
skv_wait 20 "node 1 serves status" skv_status_field 1 id
skv_assert "node 1 is running (its ports are the busy ones below)" kill -0 "$(skv_pid 1)"
cp "$D/n1.yaml" "$D/n1b.yaml"
sed -i "s#data_dir: $D/data1#data_dir: $D/data1b#" "$D/n1b.yaml"
out "$SEALKVD" --config "$D/n1b.yaml"
skv_assert "busy raft port: exit 1" rc_is 1
skv_assert "busy raft port: message says in use" says "in use"
cp "$D/n1.yaml" "$D/n1c.yaml"
out "$SEALKVD" --config "$D/n1c.yaml"
skv_assert "same data dir twice: exit 1 (store locked)" sh -c "[ \$(cat $D/rc) = 1 ] && grep -qi 'lock' $D/out"
skv_finish
