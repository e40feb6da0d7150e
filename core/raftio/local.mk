# SPDX-License-Identifier: MIT
# core/raftio/local.mk — raft_io adapter: C-Raft's struct raft_io over the
# storage + transport plugins (log store, snapshot store, its record codec,
# job queue, network).
core_libsealkv_core_la_SOURCES += \
	core/raftio/raft_io.c core/raftio/raft_io.h core/raftio/raft_io_impl.h \
	core/raftio/raft_io_net.c core/raftio/raft_io_xfer.c core/raftio/raft_io_xin.c core/raftio/raft_io_sdesc.c core/raftio/raft_io_queue.c core/raftio/raft_io_snapget.c \
	core/raftio/raft_log_load.c core/raftio/raft_log_store.c \
	core/raftio/raft_log_store.h core/raftio/raft_ls_codec.c \
	core/raftio/raft_ls_codec.h core/raftio/raft_snap_store.c \
	core/raftio/raft_conf.c core/raftio/raft_conf.h \
	core/raftio/snap_spool.c core/raftio/snap_spool.h
