/* SPDX-License-Identifier: MIT */
/*
 * http_watch.h — GET /v1/watch as a stream: after the first "watch.poll"
 * answered 200 (through the ordinary call path, so 400/410/503 are
 * ordinary replies), the connection gets a chunked
 * application/x-ndjson response whose content reader issues the next
 * poll (from the index the last one covered, waiting up to
 * SKV_HTTP_WATCH_WAIT_MS in the core) whenever it has nothing left to
 * send, and suspends the connection until the answer comes (the core's
 * done callback resumes it). Each event is one JSON line
 * {"index","type","key","value"}; an answer with no event becomes a
 * progress line {"progress_index":I} (every change up to I was sent: a
 * client may resume from I; it also lets a write find a dead client);
 * an error ends the stream after one line {"error","message"}.
 *
 * Threads: the content reader runs on MHD's threads, the done callback on
 * the node's loop thread; one mutex per stream, a reference per holder
 * (the response, a poll in flight, the registry). Stop resumes every
 * suspended stream first: MHD_stop_daemon must never see one.
 */
#ifndef SKV_HTTP_WATCH_H
#define SKV_HTTP_WATCH_H

#include <microhttpd.h>
#include <stddef.h>

#define SKV_HTTP_WATCH_WAIT_MS 5000

struct skv_http_watches;
struct skv_http_answer;
struct skv_host;

struct skv_http_watches *skv_http_watches_new(const struct skv_host *host);
/* End every stream (error line "the admin server is stopping") and resume
 * the suspended ones. Before MHD_stop_daemon. */
void skv_http_watches_stop(struct skv_http_watches *w);
/* After stop and MHD_stop_daemon. */
void skv_http_watches_free(struct skv_http_watches *w);

/* Queue the stream's 200 response on `c`, starting with the first
 * answer `a` (JSON {"events":[...],"index":I}); prefix[0..plen) is what
 * the next polls ask for. MHD_NO when out of memory. */
enum MHD_Result skv_http_watch_start(struct skv_http_watches *w, struct MHD_Connection *c,
                                     const char *prefix, size_t plen,
                                     const struct skv_http_answer *a);

#endif /* SKV_HTTP_WATCH_H */
