# SPDX-License-Identifier: MIT
# conf/local.mk — reference and example configs shipped in the tarball.
# tests/unit/test_config parses every one of them (proven valid).
EXTRA_DIST += \
	conf/sealkv.yaml \
	conf/cluster-3/n1.yaml \
	conf/cluster-3/n2.yaml \
	conf/cluster-3/n3.yaml
