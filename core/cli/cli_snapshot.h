/* SPDX-License-Identifier: MIT */
/*
 * cli_snapshot.h — `sealkv snapshot save|restore|info` (cli_snapshot.c):
 * save is a command of the table (endpoints, credentials); restore and
 * info are offline, dispatched before the parser like `sealkv verify`.
 */
#ifndef SKV_CLI_SNAPSHOT_H
#define SKV_CLI_SNAPSHOT_H

struct skv_cli;

int skv_cli_cmd_snapshot_save(const struct skv_cli *c, char **args, int nargs);
/* argv[0] = "snapshot", argv[1] = "restore" | "info". */
int skv_cli_snapshot_main(int argc, char **argv);

#endif
