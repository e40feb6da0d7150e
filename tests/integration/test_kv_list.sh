#!/bin/sh
# SPDX-License-Identifier: MIT
# Prefix listing (issue 16 item 4) on a real 3-node encrypted cluster:
# GET /v1/kv?prefix=P&limit=L&after=K[&keys_only=true][&consistency=local]
# answers {"kvs":[{"key","value"}],"more"} in byte order with keys and
# values in base64 (binary ones too), pages with after/more, is
# linearizable through a follower, refuses bad parameters with a 400 that
# names them; values sealed by Phase 1 list as they read; `sealkv ls`
# pages through more than one page and obeys --limit and --json.
SKV_TEST=kv_list
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3"
skv_up3
E=$(skv_endpoint "$L")
EF=$(skv_endpoint "$F")
put() { curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "$2" "$E/v1/kv/$1"; }
list() { curl -s -o "$SKV_DIR/out" -w '%{http_code}' "$1/v1/kv?$2"; }
keys() { grep -o '"key":"[^"]*"' "$SKV_DIR/out" | cut -d'"' -f4 | while read -r k; do printf '%s' "$k" | base64 -d; echo; done | tr '\n' ' '; }
more() { grep -o '"more":[a-z]*' "$SKV_DIR/out" | cut -d: -f2; }

for k in app/b app/a app/c ap apq b; do
    [ "$(put "$k" "v-$k")" = 200 ] || skv_fail "put $k"
done
skv_assert "a binary key" [ "$(put 'app/%FF%00z' 'bin')" = 200 ]

skv_assert "list prefix app/: 200" [ "$(list "$E" 'prefix=app/')" = 200 ]
skv_assert "list prefix app/: the keys in byte order ($(keys))" \
    [ "$(keys | od -An -tx1 | tr -d ' \n')" = "$(printf 'app/a app/b app/c app/\377\000z ' | od -An -tx1 | tr -d ' \n')" ]
skv_assert "list prefix app/: no more" [ "$(more)" = false ]
v=$(grep -o '"key":"YXBwL2E=","value":"[^"]*"' "$SKV_DIR/out" | cut -d'"' -f8 | base64 -d)
skv_assert "list: app/a's value in base64 ($v)" [ "$v" = v-app/a ]

skv_assert "limit=2: 200" [ "$(list "$E" 'prefix=app/&limit=2')" = 200 ]
skv_assert "limit=2: two keys and more ($(keys))" [ "$(keys)" = "app/a app/b " ] && [ "$(more)" = true ]
skv_assert "after=app/b: 200" [ "$(list "$E" 'prefix=app/&after=app/b&limit=1')" = 200 ]
skv_assert "after=app/b: app/c, more ($(keys))" [ "$(keys)" = "app/c " ] && [ "$(more)" = true ]
skv_assert "keys_only: 200" [ "$(list "$E" 'prefix=a&keys_only=true')" = 200 ]
skv_assert "keys_only: no values" sh -c "! grep -q '\"value\"' '$SKV_DIR/out'"
skv_assert "no prefix: every key ($(list "$E" '' >/dev/null; keys | wc -w))" [ "$(keys | wc -w)" = 7 ]
skv_assert "an empty range: 200, no entry" [ "$(list "$E" 'prefix=zzz')" = 200 ] && grep -q '{"kvs":\[\],"more":false}' "$SKV_DIR/out"

# linearizable through a follower: a write just acknowledged is listed
skv_assert "put app/d" [ "$(put app/d new)" = 200 ]
skv_assert "the follower's linearizable list has app/d" [ "$(list "$EF" 'prefix=app/d')" = 200 ]
skv_assert "... app/d is there ($(keys))" [ "$(keys)" = "app/d " ]
skv_wait 10 "the follower's local list has app/d" sh -c "curl -s '$EF/v1/kv?prefix=app/d&consistency=local' | grep -q YXBwL2Q="

for q in 'limit=0' 'limit=10001' 'limit=x' 'after=' 'keys_only=yes' 'consistency=strong' 'prefix=a&prefix=b' 'bogus=1'; do
    c=$(list "$E" "$q")
    n=${q%%=*}
    skv_assert "GET /v1/kv?$q: 400 naming $n ($c $(head -c 200 "$SKV_DIR/out"))" \
        sh -c "[ $c = 400 ] && grep -q ErrBadRequest '$SKV_DIR/out' && grep -q '$n' '$SKV_DIR/out'"
done
skv_assert "PUT /v1/kv: 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data x "$E/v1/kv")" = 405 ]

# values sealed by Phase 1 list as they read
skv_assert "phase 1 on" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "put app/e sealed" [ "$(put app/e sealed-e)" = 200 ]
skv_assert "list after phase 1: 200" [ "$(list "$E" 'prefix=app/e')" = 200 ]
v=$(grep -o '"value":"[^"]*"' "$SKV_DIR/out" | cut -d'"' -f4 | base64 -d)
skv_assert "a sealed value lists in clear ($v)" [ "$v" = sealed-e ]

# sealkv ls: more than one page, --limit, --json
curl -s -o /dev/null -X PUT --data-binary p "$E/v1/kv/page/[0000-1204]" || skv_fail "fill page/"
skv_wait 10 "page/1204 is written" skv_get_eq "$L" page/1204 p
skv_cli "$F" ls page/ >"$SKV_DIR/ls" || skv_fail "sealkv ls page/"
skv_assert "ls page/: 1205 keys over two pages ($(wc -l <"$SKV_DIR/ls"))" [ "$(wc -l <"$SKV_DIR/ls")" = 1205 ]
skv_assert "ls page/: in order" sh -c "sort -c '$SKV_DIR/ls' && [ \"\$(tail -1 '$SKV_DIR/ls')\" = page/1204 ]"
skv_assert "ls --limit 3: three keys" [ "$(skv_cli "$F" ls page/ --limit 3 | tr '\n' ' ')" = "page/0000 page/0001 page/0002 " ]
skv_cli "$F" --json ls app/ --limit 2 >"$SKV_DIR/out" || skv_fail "ls --json"
skv_assert "ls --json --limit 2: two keys, more ($(cat "$SKV_DIR/out"))" [ "$(keys)" = "app/a app/b " ] && [ "$(more)" = true ]
skv_assert "ls --json: values" grep -q '"value":"di1hcHAvYQ=="' "$SKV_DIR/out"
skv_assert "ls --local on a follower" sh -c "[ \"\$(\"$SEALKV\" --endpoint '$EF' ls app/ --local --keys-only | wc -l)\" = 6 ]"
"$SEALKV" --endpoint "$E" get app/a --limit 2 >/dev/null 2>&1; rc=$?
skv_assert "--limit on get: usage error ($rc)" [ "$rc" = 2 ]
skv_finish
