# plugins/storage-leveldb/local.mk — placeholder
