/* check_self_mx: whether the MX records of a local domain point at this host (RFC 5321 §5.1:
 * senders deliver to the MX hosts, so a domain whose MX is elsewhere never reaches ternd): an
 * MX name equal to the hostname, or one whose A/AAAA is one of the hostname's or outbound
 * addresses. The MX names that are ours go on to check_self_tls_cover. */
#ifndef TERN_CHECK_SELF_MX_H
#define TERN_CHECK_SELF_MX_H

#include "check/check_self.h"

#define CHECK_SELF_MX_MAX 16 /* ours: MX names judged per domain */

/* Starts the MX check of domain; self's host addresses must be known. */
void check_self_mx_start(struct check_self *self, const char *domain);

#endif
