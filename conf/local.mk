# conf/local.mk — reference and example configs shipped in the tarball.
EXTRA_DIST += conf/sealkv.yaml
