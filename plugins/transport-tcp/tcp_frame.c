/* SPDX-License-Identifier: MIT */
/*
 * tcp_frame.c — encodes and checks the handshake and frame headers, and
 * reads handshakes and whole frames off a connection (plaintext or TLS,
 * through tcp_link.h; tcp_frame.h has the format).
 */
#include "tcp_frame.h"
#include "tcp_io.h"
#include "tcp_link.h"

#include <errno.h>
#include <sealkv/transport.h>
#include <stdlib.h>
#include <string.h>

#define TCP_RBUF_KEEP (1024u * 1024u)

static const unsigned char tcp_magic[4] = {'S', 'K', 'V', 'T'};

void tcp_frame_put_u32(unsigned char out[4], uint32_t v)
{
    out[0] = (unsigned char)v;
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)(v >> 16);
    out[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *in)
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
           (uint32_t)in[3] << 24;
}

void tcp_handshake_encode(unsigned char out[TCP_HANDSHAKE_LEN],
                          unsigned version, uint64_t node_id)
{
    memcpy(out, tcp_magic, 4);
    out[4] = (unsigned char)version;
    out[5] = (unsigned char)(version >> 8);
    out[6] = 0; /* flags */
    out[7] = 0;
    tcp_frame_put_u32(out + 8, (uint32_t)node_id);
    tcp_frame_put_u32(out + 12, (uint32_t)(node_id >> 32));
}

int tcp_handshake_decode(const unsigned char in[TCP_HANDSHAKE_LEN],
                         unsigned version, uint64_t *node_id,
                         struct skv_err *err)
{
    unsigned got = (unsigned)in[4] | (unsigned)in[5] << 8;
    if (in[0] == 0x16 && in[1] == 0x03)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "bad handshake: the peer speaks TLS but this "
                           "transport runs with insecure: true (plaintext)");
    if (memcmp(in, tcp_magic, 4) != 0)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "bad handshake: wrong magic (not a sealkv peer)");
    if (got != version)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "bad handshake: protocol version %u, expected %u%s",
                           got, version, got == TCP_PROTO_PLAIN ?
                           " (a plaintext peer inside TLS)" : "");
    *node_id = (uint64_t)get_u32(in + 8) | (uint64_t)get_u32(in + 12) << 32;
    return SKV_OK;
}

/* Map a tcp_io outcome to a tcp_frame outcome with a message. */
static int io_fail(int rc, int saved_errno, const char *what,
                   struct skv_err *err)
{
    if (rc == TCP_IO_WOKEN)
        return TCP_FRAME_STOP;
    skv_err_set(err, SKV_ERR_IO, "%s: %s", what,
                tcp_io_reason(rc, saved_errno));
    return TCP_FRAME_BAD;
}

int tcp_frame_hdr_decode(const unsigned char in[TCP_FRAME_HDR_LEN],
                         uint32_t *len, struct skv_err *err)
{
    uint32_t n = get_u32(in);
    if (n == 0 || n > SKV_TRANSPORT_MAX_FRAME)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "bad frame length %u (allowed 1..%u)", (unsigned)n,
                           SKV_TRANSPORT_MAX_FRAME);
    *len = n;
    return SKV_OK;
}

int tcp_frame_read_handshake(struct tcp_link *k, unsigned version,
                             int64_t deadline_ms, uint64_t *node_id,
                             struct skv_err *err)
{
    unsigned char hs[TCP_HANDSHAKE_LEN];
    int rc = tcp_link_read_full(k, hs, sizeof hs, deadline_ms);
    if (rc == TCP_IO_TLS) {
        skv_err_set(err, SKV_ERR_IO, "reading handshake: %s", k->why);
        return TCP_FRAME_BAD;
    }
    if (rc != TCP_IO_OK)
        return io_fail(rc, errno, "reading handshake", err);
    if (tcp_handshake_decode(hs, version, node_id, err) != SKV_OK)
        return TCP_FRAME_BAD;
    return TCP_FRAME_OK;
}

static int rbuf_reserve(struct tcp_rbuf *rb, size_t len)
{
    unsigned char *p;
    if (rb->cap >= len)
        return 0;
    p = malloc(len);
    if (!p)
        return -1;
    free(rb->data);
    rb->data = p;
    rb->cap = len;
    return 0;
}

int tcp_frame_read(struct tcp_link *k, struct tcp_rbuf *rb, size_t *len,
                   struct skv_err *err)
{
    unsigned char hdr[TCP_FRAME_HDR_LEN];
    uint32_t n = 0;
    int rc = tcp_link_read_full(k, hdr, sizeof hdr, -1);
    if (rc == TCP_IO_EOF)
        return TCP_FRAME_EOF;
    if (rc == TCP_IO_TLS) {
        skv_err_set(err, SKV_ERR_IO, "reading frame header: %s", k->why);
        return TCP_FRAME_BAD;
    }
    if (rc != TCP_IO_OK)
        return io_fail(rc, errno, "reading frame header", err);
    if (tcp_frame_hdr_decode(hdr, &n, err) != SKV_OK)
        return TCP_FRAME_BAD;
    if (rbuf_reserve(rb, n) != 0) {
        skv_err_set(err, SKV_ERR_NOMEM, "no memory for a %u-byte frame",
                    (unsigned)n);
        return TCP_FRAME_NOMEM;
    }
    rc = tcp_link_read_full(k, rb->data, n, -1);
    if (rc == TCP_IO_TLS) {
        skv_err_set(err, SKV_ERR_IO, "reading frame body: %s", k->why);
        return TCP_FRAME_BAD;
    }
    if (rc != TCP_IO_OK)
        return io_fail(rc == TCP_IO_EOF ? TCP_IO_SHORT : rc, errno,
                       "reading frame body", err);
    *len = n;
    return TCP_FRAME_OK;
}

void tcp_rbuf_shrink(struct tcp_rbuf *rb)
{
    if (rb->cap > TCP_RBUF_KEEP)
        tcp_rbuf_free(rb);
}

void tcp_rbuf_free(struct tcp_rbuf *rb)
{
    free(rb->data);
    rb->data = NULL;
    rb->cap = 0;
}
