/* SPDX-License-Identifier: MIT */
/*
 * cli_cert.h — `sealkv cert create-ca | create-node ID ADDR |
 * create-client NAME [--dir D] [--days N] [--force]`: the cluster CA and
 * the node and client certificates (issue 11 item 2; profile in
 * cert_x509.h, files in cert_file.h). Offline; no endpoint.
 */
#ifndef SKV_CLI_CERT_H
#define SKV_CLI_CERT_H

/* argv[0] is "cert". Exit status: 0 done, 1 error, 2 usage error. */
int skv_cert_main(int argc, char **argv);

#endif
