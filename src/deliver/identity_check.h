/* identity_check: at start-up, warns when receivers will distrust our outbound identity:
 * the EHLO hostname must resolve to the outbound address, and that address needs a PTR
 * record naming the hostname (forward-confirmed reverse DNS), or big receivers refuse or
 * junk our mail. Only warnings: the daemon runs either way. */
#ifndef TERN_IDENTITY_CHECK_H
#define TERN_IDENTITY_CHECK_H

#include <sys/socket.h>

#include "dns/resolver.h"

struct identity_check;

/* Starts the lookups; logs what it finds. hostname is copied. With source NULL (the kernel
 * picks the address per destination) only the hostname's own resolution is checked. */
struct identity_check *identity_check_start(struct resolver *resolver, const char *hostname,
                                            const struct sockaddr *source);
/* Frees the check, answered or not: call after resolver_free (which drops unanswered queries
 * without their callbacks), so shutdown never waits for these lookups. NULL is a no-op. */
void identity_check_free(struct identity_check *check);

#endif
