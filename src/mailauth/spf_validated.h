/* spf_validated: the validated domain names of a client address (RFC 7208 §5.5), behind the
 * ptr mechanism and the %{p} macro (§7.3): the PTR names of the address (the first 10 only,
 * §4.6.4), each kept when one of its A or AAAA records is the address again. Asynchronous over
 * the resolver; DNS errors just leave names out (§5.5). */
#ifndef TERN_SPF_VALIDATED_H
#define TERN_SPF_VALIDATED_H

#include <stdbool.h>

#include "dns/resolver.h"

struct spf_validated;

/* Starts the lookups for address (4 bytes used unless ipv6); done(context) runs on the loop
 * once the names are known (spf_validated_ready), unless spf_validated_free comes first. */
struct spf_validated *spf_validated_start(struct resolver *resolver, const unsigned char address[16], bool ipv6,
                                          void (*done)(void *context), void *context);

bool spf_validated_ready(const struct spf_validated *validated);

/* §7.3 %{p}: domain itself if validated, else a validated name below domain, else any
 * validated name; NULL when there is none (the macro then says "unknown"). NULL-safe. */
const char *spf_validated_pick(const struct spf_validated *validated, const char *domain);

/* §5.5 ptr: whether a validated name is domain or ends in ".domain" (ASCII case ignored). */
bool spf_validated_has_within(const struct spf_validated *validated, const char *domain);

/* Cancels lookups in flight and frees. NULL is a no-op. */
void spf_validated_free(struct spf_validated *validated);

#endif
