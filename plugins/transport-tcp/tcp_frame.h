/* SPDX-License-Identifier: MIT */
/*
 * tcp_frame.h — the tcp transport's wire format.
 *
 * TLS mode (the default), protocol version 2: the dialer opens a TLS 1.3
 * connection in which both sides present a certificate from the cluster
 * CA binding a node id (SAN URI urn:sealkv:node:<id>, tcp_ident.h). The
 * dialer checks the acceptor's id is the peer it meant to reach. Inside
 * TLS the dialer sends the 16-byte handshake
 *
 *     "SKVT" | version u16 LE (=2) | flags u16 LE (=0) | node id u64 LE
 *
 * whose id must equal the id in the dialer's certificate; the acceptor
 * then answers the 4 bytes "SKVA" (the only bytes it ever writes) and
 * only after reading them does the dialer send frames
 * `[len u32 LE][len bytes]`, 1 <= len <= SKV_TRANSPORT_MAX_FRAME.
 *
 * Plaintext mode (insecure: true), protocol version 1: the same
 * handshake with version 1 straight on the TCP stream, no ack, then
 * frames; the announced id is only a claim.
 *
 * Connections are one-way (dialer to acceptor). A plaintext dialer at a
 * TLS listener, or a TLS dialer at a plaintext one, is refused with a log
 * line saying so.
 */
#ifndef SKV_TCP_FRAME_H
#define SKV_TCP_FRAME_H

#include <sealkv/plugin.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_link;

#define TCP_HANDSHAKE_LEN 16
#define TCP_FRAME_HDR_LEN 4
#define TCP_PROTO_PLAIN 1   /* insecure: true */
#define TCP_PROTO_TLS 2     /* inside TLS */
#define TCP_PROTO_VERSION TCP_PROTO_TLS
#define TCP_ACK "SKVA"
#define TCP_ACK_LEN 4

/* Outcome of reading from a connection. */
enum tcp_frame_rc {
    TCP_FRAME_OK = 0,
    TCP_FRAME_EOF,   /* clean close between frames */
    TCP_FRAME_STOP,  /* wake fd fired: transport stopping */
    TCP_FRAME_BAD,   /* protocol violation or socket error (see err) */
    TCP_FRAME_NOMEM  /* could not allocate the frame buffer (see err) */
};

/* Receive buffer, reused across frames of one connection. */
struct tcp_rbuf {
    unsigned char *data;
    size_t cap;
};

void tcp_frame_put_u32(unsigned char out[4], uint32_t v);

void tcp_handshake_encode(unsigned char out[TCP_HANDSHAKE_LEN],
                          unsigned version, uint64_t node_id);
/* Check magic and `version`; SKV_OK, or SKV_ERR_CORRUPT with a message
 * (which says so when the bytes are a TLS ClientHello). */
int tcp_handshake_decode(const unsigned char in[TCP_HANDSHAKE_LEN],
                         unsigned version, uint64_t *node_id,
                         struct skv_err *err);

/* A frame header's length: SKV_OK, or SKV_ERR_CORRUPT outside
 * 1..SKV_TRANSPORT_MAX_FRAME. */
int tcp_frame_hdr_decode(const unsigned char in[TCP_FRAME_HDR_LEN],
                         uint32_t *len, struct skv_err *err);

/* Read and check the handshake within `deadline_ms` (monotonic). */
int tcp_frame_read_handshake(struct tcp_link *k, unsigned version,
                             int64_t deadline_ms, uint64_t *node_id,
                             struct skv_err *err);

/* Read one whole frame into `rb`; its length goes to *len. */
int tcp_frame_read(struct tcp_link *k, struct tcp_rbuf *rb, size_t *len,
                   struct skv_err *err);

/* Drop a big buffer after use so idle connections stay small. */
void tcp_rbuf_shrink(struct tcp_rbuf *rb);
void tcp_rbuf_free(struct tcp_rbuf *rb);

#endif
