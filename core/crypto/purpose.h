/* SPDX-License-Identifier: MIT */
/*
 * purpose.h — the two DEK purposes (DESIGN.md §5), shared by the
 * keystore, the sidecar and the envelope.
 */
#ifndef SKV_PURPOSE_H
#define SKV_PURPOSE_H

enum skv_key_purpose {
    SKV_PURPOSE_STORAGE = 1,
    SKV_PURPOSE_RAFT = 2
};

#endif
