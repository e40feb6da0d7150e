#!/bin/sh
# SPDX-License-Identifier: MIT
# test_install.sh — `make install DESTDIR=<tmp>` from the build tree puts
# every file where the README and the man pages say (binaries with the
# private core linked in, plugins in $(pkglibdir)/plugins without .la
# files, libsealkv-client.so.1 and its links without a .la, headers in
# $(includedir)/sealkv, sealkv-plugin.pc, sealkv-client.pc, LICENSE and
# README.md in $(docdir), $(sysconfdir)/sealkv/sealkv.yaml.example, man
# pages, the systemd unit and its sysusers.d entry) and nothing else in
# $(libdir); each installed plugin exports only sealkv_plugin_v1; every
# man page is dated (.TH) and renders without a groff warning;
# `systemd-analyze verify` accepts the unit; a plugin builds against the
# installed headers; a program built with only `pkg-config --cflags
# --libs sealkv-client` links and runs, and the library exports only
# skv_client_*; and the installed sealkvd runs --version and
# --check-config with the installed plugins only.
# man/groff and systemd-analyze checks are skipped, with a message, when
# the tool is missing. Install directories come from tests/packaging.mk.
set -u
top=${SKV_TOP_BUILDDIR:?run through make check}
fail=0; n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
bad() { n=$((n + 1)); fail=1; echo "FAIL: $*"; }
skip() { echo "skip: $*"; }
for v in SKV_INST_BINDIR SKV_INST_LIBDIR SKV_INST_PLUGINSDIR SKV_INST_INCLUDEDIR \
         SKV_INST_PKGCONFIGDIR SKV_INST_CONFDIR SKV_INST_MANDIR SKV_INST_UNITDIR \
         SKV_INST_SYSUSERSDIR SKV_INST_DOCDIR SKV_RELEASE_DATE; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || { echo "FAIL: $v is not set (tests/packaging.mk sets it)"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/skv-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/root"

# Runs inside `make check`: keep the parent's jobserver out of it.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        make -C "$top" install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
    tail -30 "$tmp/install.log"
    echo "FAIL: make install DESTDIR=$dest"
    exit 1
fi
ok "make install DESTDIR=$dest"

# ---- files where documented -------------------------------------------
B=$dest$SKV_INST_BINDIR L=$dest$SKV_INST_LIBDIR P=$dest$SKV_INST_PLUGINSDIR
I=$dest$SKV_INST_INCLUDEDIR M=$dest$SKV_INST_MANDIR
U=$dest$SKV_INST_UNITDIR/sealkvd@.service
unit=yes
[ "$SKV_INST_UNITDIR" = no ] && unit=no U=/dev/null
expect_file() {
    if [ -f "$1" ]; then ok "installed ${1#"$dest"}"; else bad "missing ${1#"$dest"}"; fi
}
for f in "$B/sealkvd" "$B/sealkv" "$B/sealkv-plugin-check"; do
    expect_file "$f"
    [ -x "$f" ] || bad "${f#"$dest"} is not executable"
done
for p in transport-tcp storage-leveldb cipher-sodium admin-http; do
    expect_file "$P/$p.so"
done
# libsealkv-core is private (linked into the programs): $(libdir) holds
# only libsealkv-client (sealkv-client(3)), the plugins, the two .pc files
# and (when configured under $(libdir), as by default) the systemd unit
# and sysusers.d entry; no .la
extra=$(find "$L" \( -type f -o -type l \) | sort |
        grep -v -x -e "$dest$SKV_INST_PKGCONFIGDIR/sealkv-plugin.pc" -e "$P/[a-z0-9_-]*\.so" \
            -e "$dest$SKV_INST_PKGCONFIGDIR/sealkv-client.pc" \
            -e "$L/libsealkv-client\.so" -e "$L/libsealkv-client\.so\.1" \
            -e "$L/libsealkv-client\.so\.1\.0\.0" \
            -e "$dest$SKV_INST_UNITDIR/sealkvd@\.service" -e "$dest$SKV_INST_SYSUSERSDIR/sealkv\.conf" |
        sed "s|^$L/||")
if [ -z "$extra" ]; then
    ok "\$(libdir) holds only libsealkv-client, the plugins and the .pc files"
else
    bad "unexpected files in \$(libdir): $(echo $extra)"
fi
la=$(find "$dest" -name '*.la')
[ -z "$la" ] && ok "no .la file installed" || bad "installed .la files: $(echo $la)"
expect_file "$dest$SKV_INST_DOCDIR/LICENSE"
if cmp -s "$dest$SKV_INST_DOCDIR/LICENSE" "$SKV_TOP_SRCDIR/LICENSE"; then
    ok "\$(docdir)/LICENSE is the licence"
else
    bad "\$(docdir)/LICENSE differs from the source tree's LICENSE"
fi
expect_file "$dest$SKV_INST_DOCDIR/README.md"
for h in plugin storage transport cipher admin client; do
    expect_file "$I/$h.h"
done
expect_file "$dest$SKV_INST_PKGCONFIGDIR/sealkv-plugin.pc"
expect_file "$dest$SKV_INST_PKGCONFIGDIR/sealkv-client.pc"
expect_file "$L/libsealkv-client.so.1"
expect_file "$dest$SKV_INST_CONFDIR/sealkv.yaml.example"
if cmp -s "$dest$SKV_INST_CONFDIR/sealkv.yaml.example" "$SKV_TOP_SRCDIR/conf/sealkv.yaml"; then
    ok "sealkv.yaml.example is conf/sealkv.yaml"
else
    bad "sealkv.yaml.example differs from conf/sealkv.yaml"
fi
[ -e "$dest$SKV_INST_CONFDIR/sealkv.yaml" ] && bad "install must not create a live sealkv.yaml"
for m in man8/sealkvd.8 man1/sealkv.1 man5/sealkv.yaml.5 man1/sealkv-plugin-check.1 man3/sealkv-client.3; do
    expect_file "$M/$m"
done
if [ $unit = yes ]; then
    expect_file "$U"
else
    skip "the systemd unit: configure --with-systemdsystemunitdir=no"
fi
if [ "$SKV_INST_SYSUSERSDIR" != no ]; then
    expect_file "$dest$SKV_INST_SYSUSERSDIR/sealkv.conf"
else
    skip "the sysusers.d entry: configure --with-sysusersdir=no"
fi

# ---- plugins export exactly one symbol of ours ------------------------
for so in "$P"/*.so; do
    [ -e "$so" ] || continue
    syms=$(nm -D --defined-only "$so" | awk '{print $3}' |
           grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$')
    if [ "$syms" = sealkv_plugin_v1 ]; then
        ok "${so#"$dest"} exports only sealkv_plugin_v1"
    else
        bad "${so#"$dest"} exports: $(echo $syms)"
    fi
done

# ---- man pages render without warnings; substituted paths --------------
if grep -n '@[a-zA-Z_]*@' "$M/man8/sealkvd.8" "$M/man5/sealkv.yaml.5" "$M/man1/sealkv.1" \
        "$M/man1/sealkv-plugin-check.1" "$M/man3/sealkv-client.3" "$U" >"$tmp/subst"; then
    bad "unsubstituted @VAR@ left: $(cat "$tmp/subst")"
else
    ok "man pages and unit have every @VAR@ substituted"
fi
grep -q -F "$SKV_INST_PLUGINSDIR" "$M/man8/sealkvd.8" &&
    ok "sealkvd(8) names the plugin dir $SKV_INST_PLUGINSDIR" ||
    bad "sealkvd(8) does not name $SKV_INST_PLUGINSDIR"
for m in man8/sealkvd.8 man1/sealkv.1 man5/sealkv.yaml.5 man1/sealkv-plugin-check.1 man3/sealkv-client.3; do
    th=$(grep -m1 '^\.TH ' "$M/$m")
    date=$(echo "$th" | awk -F'"' '{print $2}')
    if [ -n "$date" ] &&
       echo "$th" | grep -q "^\.TH [^ ]* [0-9] \"$SKV_RELEASE_DATE\" \"sealkv [0-9][^\"]*\""; then
        ok "$m is dated $date and versioned: $th"
    else
        bad "$m: .TH without the release date ($SKV_RELEASE_DATE) or version: $th"
    fi
done
render=""
if command -v man >/dev/null 2>&1; then
    render=man
elif command -v groff >/dev/null 2>&1; then
    render=groff
fi
for m in man8/sealkvd.8 man1/sealkv.1 man5/sealkv.yaml.5 man1/sealkv-plugin-check.1 man3/sealkv-client.3; do
    page=$M/$m
    # (wide lines: the installed paths, which depend on the prefix, must
    # not turn into "cannot adjust line" warnings)
    case $render in
    man)
        LC_ALL=C.UTF-8 MANWIDTH=200 man --warnings=w -E UTF-8 -l "$page" \
            >"$tmp/page.txt" 2>"$tmp/page.err" ;;
    groff)
        groff -man -Tutf8 -ww -rLL=190n -z "$page" >"$tmp/page.txt" 2>"$tmp/page.err" ;;
    *)
        skip "rendering $m: neither man nor groff is installed (Debian: man-db, groff-base)"
        continue ;;
    esac
    rc=$?
    if [ $rc -eq 0 ] && [ ! -s "$tmp/page.err" ]; then
        ok "$render renders $m without warnings"
    else
        bad "$render $m (exit $rc): $(head -5 "$tmp/page.err")"
    fi
    if [ "$render" = man ] && ! grep -q '^NAME' "$tmp/page.txt"; then
        bad "$m rendered without a NAME section"
    fi
done

# ---- the systemd unit -------------------------------------------------
[ $unit = yes ] && for k in 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'NoNewPrivileges=yes' \
         'ReadWritePaths=/var/lib/sealkv/%i' 'StateDirectory=sealkv/%i' \
         "LoadCredential=kek:$SKV_INST_CONFDIR/%i.kek" \
         "LoadCredential=ca.crt:$SKV_INST_CONFDIR/ca.crt" \
         "LoadCredential=node.crt:$SKV_INST_CONFDIR/%i.crt" \
         "LoadCredential=node.key:$SKV_INST_CONFDIR/%i.key" \
         "LoadCredential=admin.token:$SKV_INST_CONFDIR/%i.token" \
         "ExecStart=$SKV_INST_BINDIR/sealkvd --config $SKV_INST_CONFDIR/%i.yaml"; do
    grep -q -x -F "$k" "$U" && ok "unit: $k" || bad "unit lacks '$k'"
done
if [ $unit = no ]; then
    :
elif command -v systemd-analyze >/dev/null 2>&1; then
    # verify checks that ExecStart's binary exists: point it into DESTDIR
    # for the check (the installed unit names $bindir, asserted above).
    mkdir -p "$tmp/unit"
    sed "s|^ExecStart=$SKV_INST_BINDIR/|ExecStart=$B/|" "$U" >"$tmp/unit/sealkvd@.service"
    if MANPATH="$M" systemd-analyze verify "$tmp/unit/sealkvd@.service" >"$tmp/verify.log" 2>&1 &&
       [ ! -s "$tmp/verify.log" ]; then
        ok "systemd-analyze verify sealkvd@.service (Documentation= pages found)"
    else
        bad "systemd-analyze verify: $(cat "$tmp/verify.log")"
    fi
    if MANPATH="$M" systemd-analyze security --offline=true --threshold=20 \
            "$tmp/unit/sealkvd@.service" >"$tmp/security.log" 2>&1; then
        ok "systemd-analyze security: $(grep -o 'exposure level.*' "$tmp/security.log")"
    else
        bad "systemd-analyze security above 2.0: $(grep -E '✗|exposure' "$tmp/security.log")"
    fi
else
    skip "systemd-analyze verify: systemd-analyze is not installed (Debian: systemd)"
fi

# ---- a plugin builds against the installed headers only ----------------
cat >"$tmp/p.c" <<'EOF'
#include <sealkv/plugin.h>
#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>
static const struct skv_admin_ops ops = {.struct_size = sizeof ops};
static const struct skv_plugin desc = {
    .abi_major = SKV_ABI_MAJOR, .abi_minor = SKV_ABI_MINOR,
    .struct_size = sizeof desc, .kind = SKV_KIND_ADMIN,
    .name = "probe", .version = "0", .ops = &ops};
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void);
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void) { return &desc; }
EOF
cflags=$(PKG_CONFIG_PATH="$dest$SKV_INST_PKGCONFIGDIR" PKG_CONFIG_SYSROOT_DIR="$dest" \
         pkg-config --cflags sealkv-plugin 2>"$tmp/pc.err")
if [ -z "$cflags" ]; then
    bad "pkg-config --cflags sealkv-plugin: $(cat "$tmp/pc.err")"
elif ${CC:-cc} -std=c99 -Wall -Wextra -Werror $cflags -fPIC -shared \
        -o "$tmp/admin-probe.so" "$tmp/p.c" 2>"$tmp/cc.err"; then
    ok "a plugin builds with only the installed headers ($cflags)"
    syms=$(nm -D --defined-only "$tmp/admin-probe.so" | awk '{print $3}' |
           grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$')
    [ "$syms" = sealkv_plugin_v1 ] && ok "its only export is sealkv_plugin_v1" ||
        bad "probe plugin exports: $(echo $syms)"
else
    bad "building against the installed headers: $(head -5 "$tmp/cc.err")"
fi

# ---- a client program with only pkg-config sealkv-client ---------------
so="$L/libsealkv-client.so.1"
if [ -e "$so" ]; then
    syms=$(nm -D --defined-only "$so" | awk '{print $3}' |
           grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | grep -v '^skv_client_')
    [ -z "$syms" ] && ok "libsealkv-client.so.1 exports only skv_client_*" ||
        bad "libsealkv-client.so.1 also exports: $(echo $syms)"
    soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = libsealkv-client.so.1 ] && ok "its soname is $soname" ||
        bad "libsealkv-client soname: '$soname'"
fi
cat >"$tmp/c.c" <<'EOF'
#include <sealkv/client.h>
#include <stdio.h>
int main(void)
{
    const char *eps[] = {"http://127.0.0.1:1"};
    struct skv_client_options o;
    struct skv_client *c = NULL;
    struct skv_client_error e = {0};
    if (skv_client_global_init() != 0)
        return 1;
    skv_client_options_init(&o);
    o.endpoints = eps;
    o.n_endpoints = 1;
    o.retry_ms = 0;
    if (skv_client_new(&o, &c, &e) != SKV_CLIENT_OK)
        return 1;
    /* nothing listens on port 1: no server reached */
    printf("%s %d %s\n", skv_client_version(), SKV_CLIENT_MAJOR,
           skv_client_code_name(skv_client_put(c, "k", 1, "v", 1, NULL, NULL, &e)));
    skv_client_error_clear(&e);
    skv_client_free(c);
    skv_client_global_cleanup();
    return 0;
}
EOF
# (a sanitizer build's library needs the program built the same way)
pcflags=$(PKG_CONFIG_PATH="$dest$SKV_INST_PKGCONFIGDIR" PKG_CONFIG_SYSROOT_DIR="$dest" \
          pkg-config --cflags --libs sealkv-client 2>"$tmp/pc.err")
if [ -z "$pcflags" ]; then
    bad "pkg-config --cflags --libs sealkv-client: $(cat "$tmp/pc.err")"
elif ${CC:-cc} -std=c99 -Wall -Wextra -Werror ${SKV_SAN_CFLAGS:-} -o "$tmp/client-probe" \
        "$tmp/c.c" $pcflags ${SKV_SAN_LDFLAGS:-} 2>"$tmp/cc.err"; then
    ok "a client program builds and links with only pkg-config sealkv-client ($pcflags)"
    out=$(LD_LIBRARY_PATH="$L" "$tmp/client-probe" 2>&1)
    [ "$out" = "1.0.0 1 unreachable" ] && ok "and runs against the installed library: $out" ||
        bad "the client program printed: $out"
else
    bad "building a client program with pkg-config: $(head -5 "$tmp/cc.err")"
fi

# ---- the installed daemon, with only the installed plugins -------------
unset SEALKV_PLUGIN_PATH
if out=$("$B/sealkvd" --version 2>&1) && echo "$out" | grep -q '^sealkvd .* (plugin ABI [0-9]*\.[0-9]*)'; then
    ok "installed sealkvd --version: $out"
else
    bad "installed sealkvd --version: $out"
fi
for prog in sealkvd sealkv; do
    if readelf -d "$B/$prog" | grep NEEDED | grep -q libsealkv; then
        bad "installed $prog needs a shared libsealkv: $(readelf -d "$B/$prog" | grep libsealkv)"
    else
        ok "installed $prog has the core linked in (needs no libsealkv-core)"
    fi
done
out=$("$B/sealkv" --version 2>&1) && ok "installed sealkv --version: $out" ||
    bad "installed sealkv --version: $out"
mkdir -p "$tmp/data"
# TLS is required: a CA and node 1's certificate from the installed
# `sealkv cert`; a KEK and an admin token
(umask 077 && head -c 32 /dev/urandom >"$tmp/kek" && echo install-test-token >"$tmp/pki-token") &&
    "$B/sealkv" cert create-ca --dir "$tmp/pki" >/dev/null &&
    "$B/sealkv" cert create-node 1 127.0.0.1:7101 --dir "$tmp/pki" >/dev/null &&
    mv "$tmp/pki-token" "$tmp/pki/admin.token" &&
    ok "installed sealkv cert made a CA and a node certificate" ||
    bad "installed sealkv cert create-ca / create-node failed"
cat >"$tmp/node.yaml" <<EOF
node: { id: 1, address: 127.0.0.1:7101, data_dir: $tmp/data/n1 }
plugins:
  path: [$P]
  transport: { name: tcp, options: { ca_file: $tmp/pki/ca.crt, cert_file: $tmp/pki/node-1.crt, key_file: $tmp/pki/node-1.key } }
  storage: { name: leveldb, options: { cache_mb: 8 } }
  cipher: { name: sodium, options: { suite: chacha20-poly1305 } }
  admin: { name: http, options: { listen: 127.0.0.1:8101 } }
encryption: { enabled: true, kek_file: $tmp/kek }
EOF
if out=$("$B/sealkvd" --config "$tmp/node.yaml" --check-config 2>&1); then
    ok "installed sealkvd --check-config: $out"
    for p in transport-tcp storage-leveldb cipher-sodium admin-http; do
        echo "$out" | grep -q -F "$P/$p.so" || bad "--check-config did not load $P/$p.so"
    done
else
    bad "installed sealkvd --check-config: $out"
fi
[ -e "$tmp/data/n1" ] && bad "--check-config created the data dir"
# and the installed reference config is valid as shipped, once the files
# it names (/etc/sealkv/..., /var/lib/sealkv) exist: point them here
sed -e "s|/etc/sealkv/kek.key|$tmp/kek|" -e "s|/etc/sealkv/|$tmp/pki/|g" \
    -e "s|/var/lib/sealkv|$tmp/data/example|" \
    "$dest$SKV_INST_CONFDIR/sealkv.yaml.example" >"$tmp/example.yaml"
if out=$(SEALKV_PLUGIN_PATH="$P" "$B/sealkvd" \
         --config "$tmp/example.yaml" --check-config 2>&1); then
    ok "the installed sealkv.yaml.example passes --check-config (its files made here)"
else
    bad "sealkv.yaml.example --check-config: $out"
fi
# without plugins.path (and SEALKV_PLUGIN_PATH unset), the DESTDIR plugins
# are not found: the daemon looks in $(pkglibdir)/plugins only
sed '/^  path:/d' "$tmp/node.yaml" >"$tmp/nopath.yaml"
if [ -d "$SKV_INST_PLUGINSDIR" ]; then
    skip "no-path lookup: a real install in $SKV_INST_PLUGINSDIR would serve the plugins"
elif out=$("$B/sealkvd" --config "$tmp/nopath.yaml" --check-config 2>&1); then
    bad "without plugins.path --check-config passed: $out"
elif echo "$out" | grep -q -F "$SKV_INST_PLUGINSDIR, found none"; then
    ok "without plugins.path it looks in $SKV_INST_PLUGINSDIR only"
else
    bad "without plugins.path: unexpected error: $out"
fi

echo "$n checks, $([ $fail -eq 0 ] && echo 'all passed' || echo 'some FAILED')"
exit $fail
