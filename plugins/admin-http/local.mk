# plugins/admin-http/local.mk — (to be built by the replicated-KV issue)
