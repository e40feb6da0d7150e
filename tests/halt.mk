# SPDX-License-Identifier: MIT
# tests/halt.mk — halting and the start-up safety of issue 12 on real
# processes (items 2, 3, 5 and the unwrap-failure exit): each script
# skips (exit 77) unless ./configure --enable-fault-injection built the
# crash points, the storage-faulty wrapper and the chaos transport.
TESTS += tests/integration/test_halt.sh
EXTRA_DIST += tests/integration/test_halt.sh
TESTS += tests/integration/test_snap_restore_crash.sh
EXTRA_DIST += tests/integration/test_snap_restore_crash.sh
