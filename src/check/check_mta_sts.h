/* check_mta_sts: the MTA-STS and TLS-RPT sections of `tern check DOMAIN`: the _mta-sts TXT
 * record (RFC 8461 §3.1), the policy fetched over HTTPS from mta-sts.DOMAIN (§3.3) with
 * libcurl — the name resolved through our resolver and handed to libcurl, which never asks
 * the system's — its mode and max_age (§3.2), and the _smtp._tls TXT record (RFC 8460 §3).
 * Whether the policy's mx patterns cover the real MX hosts is check_domain's (it knows both). */
#ifndef TERN_CHECK_MTA_STS_H
#define TERN_CHECK_MTA_STS_H

#include "check/check_state.h"
#include "check/mta_sts.h"

#define CHECK_MTA_STS_MAX_AGE_LOW 86400 /* ours: under a day, a policy protects little (§3.2 suggests weeks) */

/* Starts the checks of domain on check's loop; on_policy runs once with the parsed policy, or
 * NULL when there is none to use. */
void check_mta_sts_start(struct check_state *check, const char *domain,
                         void (*on_policy)(void *context, const struct mta_sts_policy *policy), void *context);

#endif
