/* SPDX-License-Identifier: MIT */
/*
 * http_handler.h — the MHD callbacks of admin-http: per-request state
 * creation (from the raw request-target), the access handler, and the
 * completion notifier that frees the state.
 */
#ifndef SKV_HTTP_HANDLER_H
#define SKV_HTTP_HANDLER_H

#include <microhttpd.h>

/* MHD_OPTION_URI_LOG_CALLBACK: cls is the struct skv_http_plugin. */
void *skv_http_on_uri(void *cls, const char *uri,
                      struct MHD_Connection *c);

/* The MHD access handler: cls is the struct skv_http_plugin. */
enum MHD_Result skv_http_on_request(void *cls, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *version, const char *upload,
                                    size_t *upload_size, void **req_cls);

/* MHD_OPTION_NOTIFY_COMPLETED. */
void skv_http_on_completed(void *cls, struct MHD_Connection *c,
                           void **req_cls,
                           enum MHD_RequestTerminationCode toe);

#endif /* SKV_HTTP_HANDLER_H */
