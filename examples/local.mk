# SPDX-License-Identifier: MIT
# examples/local.mk — demos and the out-of-tree plugin example.
EXTRA_DIST += examples/cluster-demo.sh
