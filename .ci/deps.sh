#!/bin/sh
# SPDX-License-Identifier: MIT
# .ci/deps.sh — install the Debian 12 packages sealkv needs to build, test
# and run its demo. Non-interactive; installs only what is missing.
# prometheus: only for promtool (tests/integration/test_promtool.sh lints
# /metrics with `promtool check metrics`; it skips without it). Its
# server is not used; where systemd runs, disable it if it got started.
# libp11-kit-dev: <p11-kit/pkcs11.h>, the standard PKCS#11 header the
# cipher plugin's key provider builds against (the KEK in an HSM);
# softhsm2: the software token test_kek_pkcs11 and test_hsm_kek.sh run
# against (they skip without it).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
libraft-dev libuv1-dev libyaml-dev libsodium-dev libleveldb-dev libcunit1-dev
libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev zlib1g-dev
clang libclang-rt-14-dev binutils curl procps
man-db groff-base systemd abigail-tools libssl-dev libgnutls28-dev
strace openssl
libp11-kit-dev softhsm2
prometheus"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
