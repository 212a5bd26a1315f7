/* check_dmarc: the DMARC section of `tern check DOMAIN` (RFC 7489): the record at
 * _dmarc.DOMAIN (§6.1), exactly one (§6.6.3 step 5: several are none), parsed by dmarc_record
 * (§6.3, §6.4), and what it tells receivers: the policy (p=none only monitors), pct= under
 * 100, no rua= (no reports), strict alignment. With no record there, the Organizational
 * Domain's record (§6.6.3 step 3, org_domain) covers the domain with its sp= (or p=). */
#ifndef TERN_CHECK_DMARC_H
#define TERN_CHECK_DMARC_H

#include "check/check_state.h"

/* Starts the DMARC checks of domain on check's loop. */
void check_dmarc_start(struct check_state *check, const char *domain);

#endif
