#!/bin/sh
# SPDX-License-Identifier: MIT
# Minority (2 followers) and majority (leader + 1 follower isolated)
# partitions of a 5-node encrypted cluster under load, over the chaos
# transport; see fault_partition.inc.sh.
FL_N=5
. "${SKV_TOP_SRCDIR:-.}/tests/integration/fault_partition.inc.sh"
