/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tcp_handshake.c — libFuzzer target for what transport-tcp reads
 * from an unauthenticated peer before a frame: the 16-byte SKVT
 * handshake (plaintext v1 and TLS v2), the first frame header, and the
 * node identity of a peer certificate (d2i_X509 of the remaining bytes,
 * then tcp_ident_node_id). Input: handshake | header | DER certificate.
 * An accepted handshake re-encodes to the same id; an accepted identity
 * is never 0. Built and run by tests/fuzz/smoke.sh.
 */
#include "tcp_frame.h"
#include "tcp_ident.h"

#include <sealkv/transport.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void handshake(const uint8_t *in)
{
    unsigned char out[TCP_HANDSHAKE_LEN];
    struct skv_err err = {0, ""};
    unsigned v;
    for (v = TCP_PROTO_PLAIN; v <= TCP_PROTO_TLS; v++) {
        uint64_t id = 0;
        if (tcp_handshake_decode(in, v, &id, &err) != SKV_OK)
            continue;
        tcp_handshake_encode(out, v, id);
        if (memcmp(out, in, 6) != 0 || memcmp(out + 8, in + 8, 8) != 0)
            abort();
    }
}

static void header(const uint8_t *in)
{
    struct skv_err err = {0, ""};
    uint32_t n = 0;
    if (tcp_frame_hdr_decode(in, &n, &err) == SKV_OK &&
        (n == 0 || n > SKV_TRANSPORT_MAX_FRAME))
        abort();
}

static void identity(const uint8_t *in, size_t len)
{
    const unsigned char *p = in;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    char why[200];
    uint64_t id = 0;
    if (!x)
        return;
    if (tcp_ident_node_id(x, &id, why, sizeof why) == 0 && id == 0)
        abort();
    X509_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < TCP_HANDSHAKE_LEN + TCP_FRAME_HDR_LEN)
        return 0;
    handshake(data);
    header(data + TCP_HANDSHAKE_LEN);
    identity(data + TCP_HANDSHAKE_LEN + TCP_FRAME_HDR_LEN,
             size - TCP_HANDSHAKE_LEN - TCP_FRAME_HDR_LEN);
    return 0;
}
