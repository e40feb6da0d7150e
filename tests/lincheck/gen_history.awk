# SPDX-License-Identifier: MIT
# gen_history.awk — a random history of a correct register store, for the
# checker's tests: n operations on `keys` keys, each one its own client,
# linearized every 10 µs and invoked/returned up to w ns around that
# point (so about 2w/10µs run concurrently); 10% of puts have an unknown
# outcome (half of them took effect), 5% failed (did not happen), 5% of
# gets have an unknown outcome. A final read per key checks the end
# state; with bad=1 the final read of k0 returns k0's first value
# (overwritten since: a lost write, not linearizable).
# Usage: awk -v n=2000 -v keys=5 -v w=60000 -v seed=7 [-v bad=1] -f gen_history.awk | sort -n -k6
BEGIN {
    srand(seed)
    base = 1000000
    for (i = 1; i <= n + keys; i++) {
        lin = base + i * 10000
        if (i > n) { k = "k" (i - n - 1); kind = "get" }
        else if (i == 1) { k = "k0"; kind = "put" }
        else { k = "k" int(rand() * keys); kind = rand() < 0.5 ? "put" : "get" }
        call = lin - int(rand() * w); ret = lin + int(rand() * w)
        if (i > n) { call = lin + 2 * w; ret = call + 1000 }
        c = "c" i
        if (kind == "put") {
            v = "v" i
            r = rand()
            st = (i == 1) ? "ok" : (r < 0.10 ? "info" : (r < 0.15 ? "fail" : "ok"))
            if (st == "ok" || (st == "info" && rand() < 0.5)) state[k] = v
            if (!(k in first)) first[k] = v
            print c, "invoke", "put", k, v, call
            print c, st, "put", k, v, ret
        } else {
            v = (k in state) ? state[k] : "-"
            if (i > n && bad && k == "k0") v = first[k]
            st = (i <= n && rand() < 0.05) ? "info" : "ok"
            print c, "invoke", "get", k, "-", call
            print c, st, "get", k, (st == "ok" ? v : "-"), ret
        }
    }
}
