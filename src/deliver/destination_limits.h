/* destination_limits: connection slots for outbound SMTP. At most a configured number of
 * connections at once to one destination (a domain's MX hosts, or one smarthost), so a big
 * queue for one receiver does not look like an attack to it (starting with a few and growing
 * with each success: slow start), and at most a configured number in total. An attempt over a limit waits in line; a slot that frees up goes to the first in
 * line that fits, and an idle open connection can go, with its slot, to one waiting for the
 * same server (RFC 5321 §3.3: several transactions on one connection). Loop thread only. */
#ifndef TERN_DESTINATION_LIMITS_H
#define TERN_DESTINATION_LIMITS_H

#include <stdbool.h>

/* Defaults; the config sets both (max-outbound-connections-per-domain, max-outbound-connections). */
#define DESTINATION_CONNECTIONS_MAX   20 /* per destination, as Postfix's default_destination_concurrency_limit */
#define DESTINATION_CONNECTIONS_TOTAL 64 /* in total */
/* Slow start, as Postfix's initial_destination_concurrency: a destination with no connection
 * open gets this many at first, one more per transaction that went through, up to its maximum,
 * so a burst for one receiver is carried by a few reused connections, not twenty new ones. */
#define DESTINATION_CONNECTIONS_INITIAL 5

struct destination_limits;

/* resume(context, connection, uses): the waiter now holds a slot; connection is NULL (open a
 * new one) or an idle open connection handed over with its slot, already used for uses
 * transactions. */
typedef void destination_limits_resume(void *context, void *connection, unsigned uses);

struct destination_limits *destination_limits_create(unsigned per_destination, unsigned total);
/* Frees; nobody may be waiting. NULL is a no-op. */
void destination_limits_free(struct destination_limits *limits);
/* New maxima (a reload); waiters that now fit get their slots. Slots already taken stay. */
void destination_limits_configure(struct destination_limits *limits, unsigned per_destination, unsigned total);

/* Takes a slot for destination and returns true, or, when a limit is reached, returns false
 * and calls resume later, once a slot is taken on the caller's behalf. key names the server
 * the caller will talk to (see destination_limits_hand_over); it is copied. */
bool destination_limits_acquire(struct destination_limits *limits, const char *destination, const char *key,
                                destination_limits_resume *resume, void *context);
/* Gives back a slot taken for destination; the first waiter that fits, if any, gets it. */
void destination_limits_release(struct destination_limits *limits, const char *destination);
/* Hands an idle connection to key, with its slot of destination, to the first waiter for that
 * destination and key. Returns false (nothing done) when nobody waits for it. */
bool destination_limits_hand_over(struct destination_limits *limits, const char *destination, const char *key,
                                  void *connection, unsigned uses);
/* A transaction to destination went through: its window grows by one (up to the maximum), and
 * a waiter that now fits starts. */
void destination_limits_success(struct destination_limits *limits, const char *destination);
/* Whether a slot of destination given back now would let a waiter start (so holding an idle
 * connection of destination would keep someone waiting). */
bool destination_limits_contended(const struct destination_limits *limits, const char *destination);

#endif
