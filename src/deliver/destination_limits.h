/* destination_limits: at most DESTINATION_CONNECTIONS_MAX connections at once to one
 * destination domain, so a big queue for one receiver does not look like an attack to it.
 * Attempts over the limit wait in line and start as connections finish. Loop thread only. */
#ifndef TERN_DESTINATION_LIMITS_H
#define TERN_DESTINATION_LIMITS_H

#include <stdbool.h>

#define DESTINATION_CONNECTIONS_MAX 20 /* like Postfix's default_destination_concurrency_limit */

struct destination_limits;

struct destination_limits *destination_limits_create(void);
/* Frees; nobody may be waiting. NULL is a no-op. */
void destination_limits_free(struct destination_limits *limits);

/* Takes a connection slot for domain and returns true, or, when the domain is at its limit,
 * returns false and calls resume(context) later, once a slot is taken on the caller's behalf. */
bool destination_limits_acquire(struct destination_limits *limits, const char *domain, void (*resume)(void *),
                                void *context);
/* Gives back a slot taken for domain; the first waiter, if any, gets it. */
void destination_limits_release(struct destination_limits *limits, const char *domain);

#endif
