/* SPDX-License-Identifier: MIT */
/*
 * ldb_err.c — turns LevelDB's status strings into one skv_rc plus a
 * message that always names the store's path.
 *
 * LevelDB (1.23) reports a held lock as "IO error: lock <dir>/LOCK: ..."
 * ("Resource temporarily unavailable" from another process, "already held
 * by process" from a second open in this one) and damage as
 * "Corruption: ...".
 */
#include "ldb.h"

#include <string.h>

static int is_lock_error(const char *m)
{
    return strncmp(m, "IO error: lock ", 15) == 0 ||
           strstr(m, "Resource temporarily unavailable") != NULL ||
           strstr(m, "already held by process") != NULL;
}

int skv_ldb_map_err(const char *path, const char *what, const char *lmsg,
                    struct skv_err *err)
{
    if (!lmsg)
        lmsg = "(no message)";
    if (is_lock_error(lmsg))
        return skv_err_set(err, SKV_ERR_BUSY,
                           "leveldb %s: another process holds the lock on %s (%s)",
                           what, path, lmsg);
    if (strncmp(lmsg, "Corruption", 10) == 0)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "leveldb %s: store %s is corrupt: %s", what, path,
                           lmsg);
    if (strstr(lmsg, "No space left on device"))
        return skv_err_set(err, SKV_ERR_FULL, "leveldb %s on %s: disk full: %s",
                           what, path, lmsg);
    return skv_err_set(err, SKV_ERR_IO, "leveldb %s on %s failed: %s", what,
                       path, lmsg);
}
