# SPDX-License-Identifier: MIT
# tests/snapshots.mk — snapshots that cost the write path nothing (issue
# 15): local snapshots, sends from a storage view after a restart, and
# the crash points of taking and installing one (part C needs
# ./configure --enable-fault-injection; without it that part is skipped
# and says so).
TESTS += tests/integration/test_snap_local.sh
EXTRA_DIST += tests/integration/test_snap_local.sh
