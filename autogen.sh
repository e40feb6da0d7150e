#!/bin/sh
# SPDX-License-Identifier: MIT
# autogen.sh — regenerate the build system from configure.ac/Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force --warnings=all
echo "Now run ./configure && make"
