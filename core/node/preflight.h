/* SPDX-License-Identifier: MIT */
/*
 * preflight.h — the start-up checks that write nothing: plugins loaded
 * and initialised with the real options, encryption load (KEK file, its
 * mode and size, cipher suite selection, sidecar unwrap), data_dir
 * creatable. `sealkvd --check-config` runs them through skv_preflight;
 * node start runs the same functions in the same order, so both refuse
 * with the same message.
 */
#ifndef SKV_PREFLIGHT_H
#define SKV_PREFLIGHT_H

#include <stddef.h>

#include "config/config.h"

/* Would creating data_dir (mkdir -p, mode 0700) and using it succeed?
 * Touches nothing. 0, or -1 with one message in err. */
int skv_preflight_data_dir(const char *data_dir, char *err, size_t errlen);

/* Every check above for a loaded config. On success `summary` names the
 * plugin files. 0, or -1 with one message in err. */
int skv_preflight(struct skv_config *c, char *summary, size_t slen, char *err,
                  size_t errlen);

#endif
