# plugins/cipher-sodium/local.mk — placeholder
