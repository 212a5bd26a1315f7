/* dmarc: DMARC policy discovery of RFC 7489 §6.6.3, asynchronous over the resolver: the TXT
 * record at _dmarc.<Author Domain>, else at _dmarc.<Organizational Domain>; records not
 * starting with v=DMARC1 discarded; several records mean no DMARC processing; a temporary DNS
 * failure is temperror. The verdict is dmarc_policy_evaluate's (dmarc_policy.h), made by the
 * caller on its SPF and DKIM outcomes, so discovery can run beside DKIM verification. No
 * reports are sent. */
#ifndef TERN_DMARC_H
#define TERN_DMARC_H

#include "dns/resolver.h"
#include "mailauth/dmarc_policy.h"
#include "mailauth/org_domain.h"

typedef void (*dmarc_found)(void *context, const struct dmarc_discovery *discovery);

/* Discovers the policy for from_domain: found runs once, later, on the loop; the discovery is
 * valid during the call only. A from_domain with no Organizational Domain (empty, too long) is
 * reported as DMARC_DISCOVERY_NONE with domain "" (the caller's verdict is then permerror: no
 * usable Author Domain). list must outlive the lookup. There is no cancel: free the resolver
 * only when no lookup is in flight (its callback would never run, and its state would leak). */
void dmarc_discover(struct resolver *resolver, const struct org_domain *list, const char *from_domain,
                    dmarc_found found, void *context);

#endif
