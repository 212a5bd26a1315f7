/* check_domain: `tern check DOMAIN`: starts the MX (with SMTP probes and DANE), MTA-STS and
 * TLS-RPT checks at once, and, when both the MX hosts and the MTA-STS policy are known,
 * judges whether the policy's mx patterns cover every MX host (RFC 8461 §4.1); and the SPF,
 * DMARC and DKIM key record checks (check_spf, check_dmarc, check_dkim). */
#ifndef TERN_CHECK_DOMAIN_H
#define TERN_CHECK_DOMAIN_H

#include "check/check_state.h"

/* Starts every check of domain on check's loop. */
void check_domain_start(struct check_state *check, const char *domain);

#endif
