#!/bin/sh
# SPDX-License-Identifier: MIT
# Minority and majority (leader isolated) partitions of a 3-node encrypted
# cluster under load, over the chaos transport; see fault_partition.inc.sh.
FL_N=3
. "${SKV_TOP_SRCDIR:-.}/tests/integration/fault_partition.inc.sh"
