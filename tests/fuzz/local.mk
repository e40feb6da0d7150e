# SPDX-License-Identifier: MIT
# tests/fuzz/local.mk — libFuzzer targets and their seed corpora (not built
# by `make`; `make fuzz-smoke` builds and runs each briefly with clang).
EXTRA_DIST += tests/fuzz/fuzz_wire.c tests/fuzz/gen_wire_corpus.c
# seeds for tests/fuzz/fuzz_wire.c (tests/fuzz/smoke.sh: corpus/wire)
EXTRA_DIST += tests/fuzz/corpus/wire/admin \
	tests/fuzz/corpus/wire/raft_v2_ident_regress \
	tests/fuzz/corpus/wire/admin_resp \
	tests/fuzz/corpus/wire/cap_req tests/fuzz/corpus/wire/snap_chunk \
	tests/fuzz/corpus/wire/propose \
	tests/fuzz/corpus/wire/propose_resp \
	tests/fuzz/corpus/wire/raft_append \
	tests/fuzz/corpus/wire/raft_append_index_over \
	tests/fuzz/corpus/wire/raft_append_max \
	tests/fuzz/corpus/wire/raft_append_prevterm_over \
	tests/fuzz/corpus/wire/raft_append_result \
	tests/fuzz/corpus/wire/raft_snapshot \
	tests/fuzz/corpus/wire/raft_timeout_now \
	tests/fuzz/corpus/wire/raft_vote \
	tests/fuzz/corpus/wire/raft_vote_index_over \
	tests/fuzz/corpus/wire/raft_vote_max \
	tests/fuzz/corpus/wire/raft_vote_result \
	tests/fuzz/corpus/wire/raft_vote_term_over \
	tests/fuzz/corpus/wire/raft_vote_term_u64max \
	tests/fuzz/corpus/wire/reserved_type8
# libFuzzer target for the config loader (not built here; see its header)
EXTRA_DIST += tests/fuzz/fuzz_config.c \
	tests/fuzz/corpus/config/reference.yaml \
	tests/fuzz/corpus/config/full.yaml \
	tests/fuzz/corpus/config/n2.yaml \
	tests/fuzz/corpus/config/minimal.yaml \
	tests/fuzz/corpus/config/flow.yaml \
	tests/fuzz/corpus/config/refused.yaml \
	tests/fuzz/corpus/config/pkcs11.yaml

# libFuzzer targets (clang); `make fuzz-smoke` runs each briefly.
EXTRA_DIST += tests/fuzz/smoke.sh tests/fuzz/fuzz_http_routes.c
# transport-tcp handshake, first frame header, certificate identity
EXTRA_DIST += tests/fuzz/fuzz_tcp_handshake.c \
	tests/fuzz/corpus/tcphs/tls-node1 tests/fuzz/corpus/tcphs/tls-client \
	tests/fuzz/corpus/tcphs/plain-bad-len tests/fuzz/corpus/tcphs/clienthello
fuzz-smoke:
	$(top_srcdir)/tests/fuzz/smoke.sh
.PHONY: fuzz-smoke
EXTRA_DIST += tests/fuzz/fuzz_envelope.c
# libFuzzer target for the sidecar JSON codec (run by `make fuzz-smoke`)
EXTRA_DIST += tests/fuzz/fuzz_sidecar.c \
	tests/fuzz/corpus/sidecar/full.json \
	tests/fuzz/corpus/sidecar/empty.json \
	tests/fuzz/corpus/sidecar/bad-epoch.json \
	tests/fuzz/corpus/sidecar/kek-id.json \
	tests/fuzz/corpus/sidecar/bad-kek-id.json \
	tests/fuzz/corpus/sidecar/kek-provider.json tests/fuzz/corpus/sidecar/retired.json \
	tests/fuzz/corpus/sidecar/names.json
# libFuzzer target for a named record's plaintext (core/crypto/names.c)
EXTRA_DIST += tests/fuzz/fuzz_names.c tests/fuzz/corpus/names/rec \
	tests/fuzz/corpus/names/empty-value
# seeds for tests/fuzz/fuzz_envelope.c
EXTRA_DIST += tests/fuzz/corpus/envelope/storage-value \
	tests/fuzz/corpus/envelope/storage-empty \
	tests/fuzz/corpus/envelope/raft-entry \
	tests/fuzz/corpus/envelope/v2-storage-value \
	tests/fuzz/corpus/envelope/v2-storage-empty \
	tests/fuzz/corpus/envelope/v2-raft-entry
EXTRA_DIST += tests/fuzz/fuzz_snap_hdr.c tests/fuzz/corpus/snaphdr/v1 \
	tests/fuzz/corpus/snaphdr/v2 tests/fuzz/corpus/snaphdr/v2-trailing \
	tests/fuzz/corpus/snaphdr/v3-local tests/fuzz/corpus/snaphdr/v3-local-precutover \
	tests/fuzz/corpus/snaphdr/v4-spooled
# the FSM payload decoder (intake and apply), rotate-dek included
EXTRA_DIST += tests/fuzz/fuzz_cmd.c tests/fuzz/corpus/cmd/rotate-storage \
	tests/fuzz/corpus/cmd/rotate-raft tests/fuzz/corpus/cmd/enable-storage \
	tests/fuzz/corpus/cmd/enable-raft tests/fuzz/corpus/cmd/registration \
	tests/fuzz/corpus/cmd/kv-put tests/fuzz/corpus/cmd/kv-cas-put-index \
	tests/fuzz/corpus/cmd/kv-cas-put-absent tests/fuzz/corpus/cmd/kv-cas-del-index \
	tests/fuzz/corpus/cmd/txn tests/fuzz/corpus/cmd/retire \
	tests/fuzz/corpus/cmd/seal-names
# tests/fuzz/fuzz_backup.c (backup files) and its seeds
EXTRA_DIST += tests/fuzz/fuzz_backup.c tests/fuzz/corpus/backup/framed-v1 \
	tests/fuzz/corpus/backup/framed-v2-enc
# seeds for tests/fuzz/fuzz_txn.c (the POST /v1/txn body)
EXTRA_DIST += tests/fuzz/fuzz_txn.c tests/fuzz/corpus/txn/full tests/fuzz/corpus/txn/twice \
	tests/fuzz/corpus/txn/bad
# seeds for tests/fuzz/fuzz_http_routes.c (routes and strict query strings)
EXTRA_DIST += tests/fuzz/corpus/http/kv-get-local \
	tests/fuzz/corpus/http/kv-put-unknown tests/fuzz/corpus/http/kv-put-prev-index \
	tests/fuzz/corpus/http/kv-put-prev-both tests/fuzz/corpus/http/readyz-max-lag \
	tests/fuzz/corpus/http/readyz-repeat tests/fuzz/corpus/http/healthz-bad-pct \
	tests/fuzz/corpus/http/kv-get-empty-pairs tests/fuzz/corpus/http/promote-bare-param \
	tests/fuzz/corpus/http/kv-list-all-params tests/fuzz/corpus/http/kv-list-bad \
	tests/fuzz/corpus/http/watch-params
# libFuzzer target for the rewrap-kek body (core/admin/rewrap_body.c) and seeds
EXTRA_DIST += tests/fuzz/fuzz_rewrap_body.c tests/fuzz/corpus/rewrap/file.json \
	tests/fuzz/corpus/rewrap/id.json tests/fuzz/corpus/rewrap/both.json
# libsealkv-client's answer parsers (client/lib/cl_codec.c)
EXTRA_DIST += tests/fuzz/fuzz_client.c tests/fuzz/corpus/client/list \
	tests/fuzz/corpus/client/txn tests/fuzz/corpus/client/index \
	tests/fuzz/corpus/client/event tests/fuzz/corpus/client/progress \
	tests/fuzz/corpus/client/error
# libFuzzer target for the record reader of spooled snapshots
EXTRA_DIST += tests/fuzz/fuzz_snap_reader.c tests/fuzz/corpus/snapreader/two_records \
	tests/fuzz/corpus/snapreader/truncated
