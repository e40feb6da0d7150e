/* SPDX-License-Identifier: MIT */
/*
 * https_fx.h — test fixture for the admin-http HTTPS suites: an ECDSA
 * P-256 certificate authority made with the OpenSSL API in the test, and
 * leaf certificates it issues (SANs, EKU, validity chosen by the test),
 * written as PEM files (keys mode 0600).
 */
#ifndef SKV_HTTPS_FX_H
#define SKV_HTTPS_FX_H

struct https_fx_ca;

enum https_fx_eku { FX_EKU_NONE = 0, FX_EKU_SERVER = 1, FX_EKU_CLIENT = 2 };

/* A self-signed CA; its certificate is written to dir/name.crt. */
struct https_fx_ca *https_fx_ca_new(const char *dir, const char *name);
void https_fx_ca_free(struct https_fx_ca *ca);

/* Issue dir/name.crt + dir/name.key. `san` is an OpenSSL
 * subjectAltName value ("IP:127.0.0.1,URI:urn:sealkv:client:a") or NULL;
 * the certificate is valid from now+from_days to now+to_days. 0 or -1. */
int https_fx_issue(struct https_fx_ca *ca, const char *dir, const char *name,
                   const char *san, enum https_fx_eku eku, long from_days,
                   long to_days);

#endif /* SKV_HTTPS_FX_H */
