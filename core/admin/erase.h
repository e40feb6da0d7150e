/* SPDX-License-Identifier: MIT */
/*
 * erase.h — the node-local "encryption.erase-cleartext" op (erase.c).
 */
#ifndef SKV_ERASE_H
#define SKV_ERASE_H

#include "intake/op.h"

void skv_op_enc_erase_cleartext(struct skv_op *op);

#endif
