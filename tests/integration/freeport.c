/* SPDX-License-Identifier: MIT */
/*
 * freeport.c — test helper: prints N distinct free TCP ports on 127.0.0.1
 * (binds each to port 0, keeps them all open until every port is chosen,
 * then closes them), one per line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1, i, fds[64];
    if (n < 1 || n > 64) {
        fprintf(stderr, "usage: freeport [N<=64]\n");
        return 2;
    }
    for (i = 0; i < n; i++) {
        struct sockaddr_in a = {0};
        socklen_t len = sizeof a;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0) {
            perror("freeport");
            return 1;
        }
        printf("%u\n", ntohs(a.sin_port));
    }
    for (i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}
