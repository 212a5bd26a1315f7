/* auth_throttle: slows down and then locks out client addresses that keep failing SMTP AUTH,
 * so a password cannot be guessed at network speed. Used on the event-loop thread only (no
 * locking). Memory is bounded: at most AUTH_THROTTLE_ENTRIES addresses are remembered. */
#ifndef TERN_AUTH_THROTTLE_H
#define TERN_AUTH_THROTTLE_H

#include <stdbool.h>
#include <time.h>

#define AUTH_THROTTLE_ENTRIES       4096  /* addresses tracked; when full, the stalest is forgotten */
#define AUTH_THROTTLE_LOCK_FAILURES 10    /* failures within the window that lock an address out */
#define AUTH_THROTTLE_WINDOW        900   /* seconds: failures this far apart start a new count */
#define AUTH_THROTTLE_DELAY_FIRST   1000  /* ms before answering the second failure */
#define AUTH_THROTTLE_DELAY_MAX     16000 /* ms: the doubling stops here */

struct auth_throttle;

/* A new, empty tracker owned by the caller. */
struct auth_throttle *auth_throttle_create(void);
/* Frees it; NULL is a no-op. */
void auth_throttle_free(struct auth_throttle *throttle);

/* Addresses are 16 bytes in network order, IPv4 mapped as ::ffff:a.b.c.d. IPv6 clients are
 * counted per /64 (one customer's whole allocation), IPv4 clients per address.
 * now is the caller's clock in seconds (time(NULL) or a monotonic clock, used consistently). */

/* How long to wait, in milliseconds, before answering a failed attempt. Call it after
 * auth_throttle_failure for that attempt: 0 for the first failure in the window, then 1000,
 * 2000, 4000, 8000 and 16000 ms from then on. */
unsigned auth_throttle_delay_ms(struct auth_throttle *throttle, const unsigned char address[16], time_t now);

/* Whether the address is locked out: AUTH_THROTTLE_LOCK_FAILURES failures or more, each within
 * AUTH_THROTTLE_WINDOW seconds of the one before, and fewer than AUTH_THROTTLE_WINDOW seconds
 * since the last. The session then refuses AUTH without checking the password. */
bool auth_throttle_locked(struct auth_throttle *throttle, const unsigned char address[16], time_t now);

/* Records a failed attempt. When all entries are in use, the one with the oldest last failure
 * is forgotten to make room. */
void auth_throttle_failure(struct auth_throttle *throttle, const unsigned char address[16], time_t now);

/* Forgets the address's failures after a successful login (so a mistyped password costs a
 * legitimate user nothing later). */
void auth_throttle_success(struct auth_throttle *throttle, const unsigned char address[16]);

#endif
