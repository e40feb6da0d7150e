# tests/faults.mk — fault injection and linearizability: the history
# checker (tests/lincheck/lincheck) and its unit test, the history
# recorder client (tests/lincheck/lclient), and the fault scenarios on
# real sealkvd processes over the chaos transport. The scenarios skip
# (exit 77) unless ./configure --enable-fault-injection built the chaos
# plugin and the test hooks.
