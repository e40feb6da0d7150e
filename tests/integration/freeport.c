/* SPDX-License-Identifier: MIT */
/*
 * freeport.c — test helper: prints N distinct free TCP ports on 127.0.0.1
 * (binds each to port 0, keeps them all open until every port is chosen,
 * then closes them), one per line. The binding is tests/unit/skv_free_port.h.
 */
#include "../unit/skv_free_port.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1, i, fds[64];
    unsigned port;
    if (n < 1 || n > 64) {
        fprintf(stderr, "usage: freeport [N<=64]\n");
        return 2;
    }
    for (i = 0; i < n; i++) {
        if (!(port = skv_test_bind_free(&fds[i]))) {
            perror("freeport");
            return 1;
        }
        printf("%u\n", port);
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}
