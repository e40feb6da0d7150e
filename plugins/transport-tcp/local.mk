# plugins/transport-tcp/local.mk — (to be built by the replicated-KV issue)
