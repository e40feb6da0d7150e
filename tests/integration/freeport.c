/* SPDX-License-Identifier: MIT */
/*
 * freeport.c — test helper: prints N distinct free TCP ports on 127.0.0.1,
 * one per line, reserved for OWNER (a PID; default the parent process)
 * until that process exits: outside the kernel's ephemeral port range and
 * recorded in the tests' port registry (tests/unit/skv_free_port.h says
 * why). Scripts pass their own PID: freeport -o $$ N.
 */
#include "../unit/skv_free_port.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long owner = (long)getppid();
    unsigned ports[64];
    int n = 1, i = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        owner = strtol(argv[2], NULL, 10);
        i = 3;
    }
    if (i < argc)
        n = atoi(argv[i]);
    if (n < 1 || n > 64 || owner <= 0 || i + 1 < argc) {
        fprintf(stderr, "usage: freeport [-o OWNER_PID] [N<=64]\n");
        return 2;
    }
    if (skv_test_reserve_ports((unsigned)n, owner, ports) != 0) {
        perror("freeport");
        return 1;
    }
    for (i = 0; i < n; i++)
        printf("%u\n", ports[i]);
    return 0;
}
