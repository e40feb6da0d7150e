#!/bin/sh
# SPDX-License-Identifier: MIT
# GET /v1/encryption/capability and /v1/encryption/sidecar on a 3-node
# cluster where nodes 1 and 2 have encryption enabled (shared KEK) and
# node 3 has not: node 1 reports capable with its suites, node 3 reports
# not capable with "encryption not enabled", and a fresh node has no
# sidecar. (The leader's fan-out is exercised by the envelope tests.)
SKV_TEST=capability
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2"
skv_setup 3
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader

# skv_get_json i path: the compact JSON body of GET path on node i
skv_get_json() { curl -sS -f --max-time 5 "$(skv_endpoint "$1")$2"; }
# has DOC FRAGMENT: the (compact) JSON document contains FRAGMENT
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

for i in 1 2 3; do
    skv_wait 10 "node $i answers the capability op" skv_get_json $i /v1/encryption/capability
done
C1=$(skv_get_json 1 /v1/encryption/capability)
C3=$(skv_get_json 3 /v1/encryption/capability)
skv_log "node 1: $C1"
skv_log "node 3: $C3"

skv_assert "node 1 is capable" has "$C1" '"capable":true'
skv_assert "node 1 has no reasons" has "$C1" '"reasons":[]'
skv_assert "node 1 reports its id" has "$C1" '"id":1,'
skv_assert "node 1 has encryption enabled" has "$C1" '"encryption_enabled":true'
skv_assert "node 1 has its KEK loaded" has "$C1" '"kek_loaded":true'
skv_assert "node 1 lists at least one suite" has "$C1" '"suites":["'
skv_assert "node 1 names the cipher plugin" has "$C1" '"cipher_plugin":"sodium"'
skv_assert "node 1 reports ABI major 1" has "$C1" '"abi_major":1,'
skv_assert "node 1 reports a build version" has "$C1" '"build":"'
skv_assert "node 1 has no sidecar yet" has "$C1" '"sidecar_present":false'
skv_assert "node 1 is not bootstrapped" has "$C1" '"bootstrapped":false'
skv_assert "node 1 local epoch is 0 without keys" has "$C1" '"local_epoch":0'

skv_assert "node 3 is not capable" has "$C3" '"capable":false'
skv_assert "node 3 says why" has "$C3" '"reasons":["encryption not enabled"]'
skv_assert "node 3 has encryption disabled" has "$C3" '"encryption_enabled":false'
skv_assert "node 3 has no KEK" has "$C3" '"kek_loaded":false'
skv_assert "node 3 still lists its plugin suites" has "$C3" '"suites":["'

C2=$(skv_get_json 2 /v1/encryption/capability)
skv_assert "node 2 (encryption on) is capable" has "$C2" '"capable":true'

for i in 1 3; do
    S=$(skv_get_json $i /v1/encryption/sidecar)
    skv_log "node $i sidecar: $S"
    skv_assert "node $i: sidecar endpoint says present:false" has "$S" '"present":false'
    skv_assert "node $i: no sidecar object" has "$S" '"sidecar":null'
done
skv_assert "CLI prints node 3's reason" sh -c \
    "'$SEALKV' --endpoint '$(skv_endpoint 3)' encryption capability | grep -q 'encryption not enabled'"
skv_finish
