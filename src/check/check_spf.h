/* check_spf: the SPF section of `tern check DOMAIN` (RFC 7208). The domain's TXT records must
 * hold exactly one "v=spf1" record (§4.5: none is "none", several are permerror) that parses
 * (spf_record, §12); its include: and redirect= targets are fetched concurrently, depth
 * capped, to total the DNS-querying terms against §4.6.4's 10 and the void lookups against its
 * 2; the all mechanism that ends the domain's chain of redirects is judged (+all, ?all, ~all,
 * -all, none at all), and ptr is flagged (§5.5: "do not use"). */
#ifndef TERN_CHECK_SPF_H
#define TERN_CHECK_SPF_H

#include "check/check_state.h"

#define CHECK_SPF_DEPTH_MAX    10 /* include/redirect nesting followed: §4.6.4's 10 lookups are spent by then */
#define CHECK_SPF_RECORDS_MAX  40 /* records fetched per domain: bounds loops and fan-out */
#define CHECK_SPF_LOOKUPS_WARN 8  /* ours: close enough to §4.6.4's 10 to say so */

/* Starts the SPF checks of domain on check's loop. */
void check_spf_start(struct check_state *check, const char *domain);

#endif
