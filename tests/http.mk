# SPDX-License-Identifier: MIT
# tests/http.mk — issue 16's HTTP surface on real 3-node clusters:
# strict query parameters, metrics content and member lag
# (test_http_api), the health/readiness probes with auth on, no quorum
# and a halted node (test_health), and `promtool check metrics` on live
# nodes (test_promtool: skips with 77 without promtool).
TESTS += tests/integration/test_http_api.sh tests/integration/test_health.sh \
	tests/integration/test_promtool.sh
EXTRA_DIST += tests/integration/test_http_api.sh tests/integration/test_health.sh \
	tests/integration/test_promtool.sh
