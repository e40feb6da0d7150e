/*
 * tcp_frame.h — the tcp transport's wire format. A connection starts with
 * a 16-byte handshake from the connecting side:
 *
 *     "SKVT" | version u16 LE (=1) | flags u16 LE (=0) | node id u64 LE
 *
 * then carries frames `[len u32 LE][len bytes]`, 1 <= len <=
 * SKV_TRANSPORT_MAX_FRAME. Connections are one-way: the accepting side
 * never writes.
 */
#ifndef SKV_TCP_FRAME_H
#define SKV_TCP_FRAME_H

#include <sealkv/plugin.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HANDSHAKE_LEN 16
#define TCP_FRAME_HDR_LEN 4
#define TCP_PROTO_VERSION 1

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
                          uint64_t node_id);
/* SKV_OK, or SKV_ERR_CORRUPT with a message. */
int tcp_handshake_decode(const unsigned char in[TCP_HANDSHAKE_LEN],
                         uint64_t *node_id, struct skv_err *err);

/* Read and check the handshake within `deadline_ms` (monotonic). */
int tcp_frame_read_handshake(int fd, int wake_fd, int64_t deadline_ms,
                             uint64_t *node_id, struct skv_err *err);

/* Read one whole frame into `rb`; its length goes to *len. */
int tcp_frame_read(int fd, int wake_fd, struct tcp_rbuf *rb, size_t *len,
                   struct skv_err *err);

/* Drop a big buffer after use so idle connections stay small. */
void tcp_rbuf_shrink(struct tcp_rbuf *rb);
void tcp_rbuf_free(struct tcp_rbuf *rb);

#endif
