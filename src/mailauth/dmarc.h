/* dmarc: a DMARC check of one message, asynchronous over the resolver: policy discovery of
 * RFC 7489 §6.6.3 (the TXT record at _dmarc.<Author Domain>, else at _dmarc.<Organizational
 * Domain>; records not starting with v=DMARC1 discarded; several records mean no DMARC
 * processing; a temporary DNS failure is temperror), then dmarc_policy_evaluate on the
 * caller's plain SPF and DKIM outcomes. No reports are sent. */
#ifndef TERN_DMARC_H
#define TERN_DMARC_H

#include "dns/resolver.h"
#include "mailauth/dmarc_policy.h"
#include "mailauth/org_domain.h"

#define DMARC_SIGNATURES_MAX 32 /* passing DKIM signatures considered: a sane cap, far above real mail */

typedef void (*dmarc_done)(void *context, const struct dmarc_outcome *outcome);
typedef void (*dmarc_found)(void *context, const struct dmarc_discovery *discovery);

/* Discovery alone (§6.6.3), for callers that evaluate themselves (dmarc_policy_evaluate) and
 * want it to run beside other lookups: found runs once, later, on the loop; the discovery is
 * valid during the call only. A from_domain with no Organizational Domain (empty, too long)
 * is reported as DMARC_DISCOVERY_NONE with domain "". No cancel, as for dmarc_check. */
void dmarc_discover(struct resolver *resolver, const struct org_domain *list, const char *from_domain,
                    dmarc_found found, void *context);

/* Checks the message whose inputs are given (copied; the caller's may go at once; beyond
 * DMARC_SIGNATURES_MAX signatures the rest are not looked at). list must outlive the check;
 * sampler, when not NULL, too. done runs once, later, on the loop thread, also when no lookup
 * is needed (no usable Author Domain: permerror); the outcome is valid during the callback
 * only. There is no cancel: free the resolver only when no check is in flight (their
 * callbacks would never run, and their state would leak). */
void dmarc_check(struct resolver *resolver, const struct org_domain *list, const struct dmarc_inputs *inputs,
                 const struct dmarc_sampler *sampler, dmarc_done done, void *context);

#endif
