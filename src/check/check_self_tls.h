/* check_self_tls: the certificates of ternd's "tls cert" lines: readable, not expired nor
 * near expiry, and covering each MX name of the local domains that points at this host
 * (RFC 6125 §6.4 by X509_check_host: what MTA-STS and DANE-TA senders verify, RFC 8461 §4.2). */
#ifndef TERN_CHECK_SELF_TLS_H
#define TERN_CHECK_SELF_TLS_H

#include "check/check_self.h"

/* Loads the certificates into self and judges their expiry (no certificate at all: a warning). */
void check_self_tls_load(struct check_self *self);

/* Judges whether a loaded certificate covers name, an MX host of ours. */
void check_self_tls_cover(struct check_self *self, const char *name);

#endif
