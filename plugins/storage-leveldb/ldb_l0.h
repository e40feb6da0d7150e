/* SPDX-License-Identifier: MIT */
/*
 * ldb_l0.h — how long a synced write waits for level 0 (l0_slowdown_ms):
 * a pure function, shared by ldb_db.c and its unit test.
 */
#ifndef SKV_LDB_L0_H
#define SKV_LDB_L0_H

/* LevelDB 1.23 slows each write by 1 ms from 8 level-0 tables and stops
 * every write at 12 until a compaction brings the count down. A synced
 * write waits `step_us` per table from the 8th: 8 → 1 step, 9 → 2,
 * 10 → 3, 11 and more → 4 (at most 4 steps, whatever the count reads);
 * 0 below 8, for a step <= 0 and for a count it could not read (< 0). */
static inline long skv_ldb_l0_wait_us(long tables, long step_us)
{
    if (step_us <= 0 || tables < 8)
        return 0;
    return (tables < 11 ? tables - 7 : 4) * step_us;
}

#endif
